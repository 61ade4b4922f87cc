package io.pgregent.dcs.etcd;

import io.etcd.jetcd.ByteSequence;
import io.etcd.jetcd.Client;
import io.etcd.jetcd.KeyValue;
import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.tck.DcsConformanceTests;
import io.pgregent.testsupport.EtcdServer;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;

/**
 * The conformance kit against the newest etcd 3.6 (built by {@code .ci/etcd.sh}) with
 * authentication on: every member and the raw client log in as {@code root}. Skips, saying why,
 * when the build is missing.
 */
class Etcd36AuthDcsConformanceTests extends DcsConformanceTests {

  private static final String USER = "root";
  private static final String PASSWORD = "tck-root-pw";
  private static EtcdServer etcd;
  private static Client admin;

  @BeforeAll
  static void startEtcd() {
    String why = EtcdServer.etcd36UnavailableReason();
    Assumptions.assumeTrue(why == null, why);
    etcd = EtcdServer.start(EtcdServer.etcd36().orElseThrow());
    etcd.enableAuth(PASSWORD);
    admin =
        Client.builder()
            .endpoints(etcd.clientUrl())
            .user(bytes(USER))
            .password(bytes(PASSWORD))
            .build();
  }

  @AfterAll
  static void stopEtcd() {
    try {
      if (admin != null) {
        admin.close();
      }
    } finally {
      if (etcd != null) {
        etcd.close();
      }
    }
  }

  @Override
  protected String serverAddress() {
    return "127.0.0.1:" + etcd.clientPort();
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

  @Override
  protected void restartServer() {
    etcd.restart();
  }

  @Override
  protected void writeRaw(String key, String value) {
    try {
      admin.getKVClient().put(bytes(key), bytes(value)).get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("raw write of " + key + " failed", e);
    }
  }

  @Override
  protected Optional<String> readRaw(String key) {
    try {
      List<KeyValue> kvs = admin.getKVClient().get(bytes(key)).get(10, TimeUnit.SECONDS).getKvs();
      return kvs.isEmpty()
          ? Optional.empty()
          : Optional.of(kvs.get(0).getValue().toString(StandardCharsets.UTF_8));
    } catch (Exception e) {
      throw new IllegalStateException("raw read of " + key + " failed", e);
    }
  }

  private static ByteSequence bytes(String s) {
    return ByteSequence.from(s, StandardCharsets.UTF_8);
  }
}
