package io.pgregent.dcs.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import org.apache.curator.test.InstanceSpec;
import org.apache.curator.test.TestingServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Patroni's TLS settings against a ZooKeeper that only accepts TLS clients with a certificate from
 * its CA: PEM files as Patroni's settings name them, made with openssl.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ZooKeeperDcsTlsTests {

  private static final String PASSWORD = "changeit";

  @TempDir static Path dir;
  private static TestingServer server;
  private static int securePort;
  private static Properties systemBefore;

  @BeforeAll
  static void startTlsZooKeeper() throws Exception {
    TestCertificates certs =
        TestCertificates.in(dir)
            .ca("ca", "/CN=regent-test-ca")
            .signed("server", "/CN=localhost", "ca", null, "IP:127.0.0.1,DNS:localhost")
            .signed("client", "/CN=regent", "ca", null, null);
    securePort = InstanceSpec.getRandomPort();
    Map<String, Object> props = new HashMap<>();
    props.put("minSessionTimeout", "400");
    props.put("maxSessionTimeout", "60000");
    props.put("secureClientPort", String.valueOf(securePort));
    props.put("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory");
    props.put("ssl.keyStore.location", certs.pkcs12("server", PASSWORD).toString());
    props.put("ssl.keyStore.password", PASSWORD);
    props.put("ssl.keyStore.type", "PKCS12");
    props.put("ssl.trustStore.location", certs.crt("ca").toString());
    props.put("ssl.trustStore.type", "PEM");
    // ZooKeeper turns unknown server keys into system properties: put them back afterwards.
    systemBefore = (Properties) System.getProperties().clone();
    server =
        new TestingServer(
            new InstanceSpec(null, -1, -1, -1, true, -1, ZooKeeperTestServers.TICK_MS, -1, props),
            true);
  }

  @AfterAll
  static void stop() throws Exception {
    try {
      if (server != null) {
        server.close();
      }
    } finally {
      if (systemBefore != null) {
        System.setProperties(systemBefore);
      }
    }
  }

  private static ZooKeeperSettings tls(Path cacert, Path cert, Path key) {
    return new ZooKeeperSettings(
        List.of("127.0.0.1:" + securePort),
        Duration.ofSeconds(8),
        true,
        cacert,
        cert,
        key,
        null,
        true,
        Map.of(),
        Map.of());
  }

  private static ZooKeeperDcs member(ZooKeeperSettings settings) {
    return new ZooKeeperDcs(
        settings,
        ClusterPath.of("/service", "tls" + System.nanoTime()),
        "pg0",
        // Generous: a first TLS handshake in a busy JVM can take seconds; this checks TLS, not
        // speed.
        new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(8)));
  }

  @Test
  void patronisTlsSettingsConnectWithAClientCertificate() {
    try (ZooKeeperDcs dcs =
        member(tls(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("client.key")))) {
      dcs.renewSession();
      assertThat(dcs.tryAcquire()).isTrue();
      assertThat(dcs.read().isLockedBy("pg0")).isTrue();
    }
  }

  @Test
  void withoutAClientCertificateTheStoreIsUnreachable() {
    try (ZooKeeperDcs dcs = member(tls(dir.resolve("ca.crt"), null, null))) {
      assertThatThrownBy(dcs::read).isInstanceOf(DcsException.class);
    }
  }

  @Test
  void anUnreadableKeyFailsNamingTheSetting() {
    try (ZooKeeperDcs dcs =
        member(tls(dir.resolve("ca.crt"), dir.resolve("client.crt"), dir.resolve("nope.key")))) {
      assertThatThrownBy(dcs::read).hasMessageContaining("zookeeper.key");
    }
  }
}
