package io.pgregent.dcs.etcd;

import io.etcd.jetcd.Client;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.EtcdServer;
import org.junit.jupiter.api.BeforeAll;

/** The conformance kit against a real etcd (Debian's etcd-server) started for this class. */
class EtcdDcsConformanceTests extends EtcdConformanceKit {

  @BeforeAll
  static void startEtcd() {
    EtcdServer etcd = EtcdServer.start();
    use(etcd, Client.builder().endpoints(etcd.clientUrl()).build());
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return new EtcdDcs(EtcdSettings.of("http://" + address), path, member, timings);
  }
}
