package io.pgregent.dcs.etcd;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.EtcdServer;
import java.net.URI;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance kit against the newest etcd 3.6 (built by {@code .ci/etcd.sh}) with
 * authentication on: every member and the raw client log in as {@code root}. Skips, saying why,
 * when the build is missing.
 */
class Etcd36AuthDcsConformanceTests extends EtcdConformanceKit {

  private static final String USER = "root";
  private static final String PASSWORD = "tck-root-pw";

  @BeforeAll
  static void startEtcd() {
    String why = EtcdServer.etcd36UnavailableReason();
    Assumptions.assumeTrue(why == null, why);
    EtcdServer etcd = EtcdServer.start(EtcdServer.etcd36().orElseThrow());
    use(etcd, null); // stopped after the class even when enabling auth fails
    etcd.enableAuth(PASSWORD);
    use(
        etcd,
        Client.builder()
            .endpoints(etcd.clientUrl())
            .user(bytes(USER))
            .password(bytes(PASSWORD))
            .build());
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return new EtcdDcs(
        new EtcdSettings(
            List.of(URI.create("http://" + address)), USER, PASSWORD, null, null, null),
        path,
        member,
        timings);
  }
}
