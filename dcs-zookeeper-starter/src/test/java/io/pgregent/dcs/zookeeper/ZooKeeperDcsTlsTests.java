package io.pgregent.dcs.zookeeper;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsTimings;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.Key;
import java.security.KeyStore;
import java.security.cert.Certificate;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
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
 * Patroni's TLS settings against a ZooKeeper that only accepts TLS clients with a certificate: keys
 * made with the JDK's keytool, written as the PEM files Patroni's settings name.
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
    keypair("server", "CN=localhost", "SAN=ip:127.0.0.1,dns:localhost");
    keypair("client", "CN=regent", null);
    pem("server");
    pem("client");
    securePort = InstanceSpec.getRandomPort();
    Map<String, Object> props = new HashMap<>();
    props.put("minSessionTimeout", "400");
    props.put("maxSessionTimeout", "60000");
    props.put("secureClientPort", String.valueOf(securePort));
    props.put("serverCnxnFactory", "org.apache.zookeeper.server.NettyServerCnxnFactory");
    props.put("ssl.keyStore.location", dir.resolve("server.p12").toString());
    props.put("ssl.keyStore.password", PASSWORD);
    props.put("ssl.keyStore.type", "PKCS12");
    props.put("ssl.trustStore.location", dir.resolve("client.crt").toString());
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
        member(
            tls(dir.resolve("server.crt"), dir.resolve("client.crt"), dir.resolve("client.key")))) {
      dcs.renewSession();
      assertThat(dcs.tryAcquire()).isTrue();
      assertThat(dcs.read().isLockedBy("pg0")).isTrue();
    }
  }

  @Test
  void withoutAClientCertificateTheStoreIsUnreachable() {
    try (ZooKeeperDcs dcs = member(tls(dir.resolve("server.crt"), null, null))) {
      assertThatThrownBy(dcs::read).isInstanceOf(DcsException.class);
    }
  }

  @Test
  void anUnreadableKeyFailsNamingTheSetting() {
    try (ZooKeeperDcs dcs =
        member(
            tls(dir.resolve("server.crt"), dir.resolve("client.crt"), dir.resolve("nope.key")))) {
      assertThatThrownBy(dcs::read).hasMessageContaining("zookeeper.key");
    }
  }

  // ---- key material ----

  private static void keypair(String name, String dname, String san) throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
            "-genkeypair",
            "-alias",
            name,
            "-keyalg",
            "RSA",
            "-keysize",
            "2048",
            "-validity",
            "2",
            "-dname",
            dname,
            "-storetype",
            "PKCS12",
            "-keystore",
            dir.resolve(name + ".p12").toString(),
            "-storepass",
            PASSWORD,
            "-keypass",
            PASSWORD));
    if (san != null) {
      cmd.addAll(List.of("-ext", san));
    }
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
  }

  /** Writes {@code <name>.crt} and {@code <name>.key} (PKCS#8, unencrypted) as PEM. */
  private static void pem(String name) throws Exception {
    KeyStore ks = KeyStore.getInstance("PKCS12");
    try (InputStream in = Files.newInputStream(dir.resolve(name + ".p12"))) {
      ks.load(in, PASSWORD.toCharArray());
    }
    Certificate cert = ks.getCertificate(name);
    Key key = ks.getKey(name, PASSWORD.toCharArray());
    Files.writeString(dir.resolve(name + ".crt"), pemBlock("CERTIFICATE", cert.getEncoded()));
    Files.writeString(dir.resolve(name + ".key"), pemBlock("PRIVATE KEY", key.getEncoded()));
  }

  private static String pemBlock(String type, byte[] der) {
    return "-----BEGIN "
        + type
        + "-----\n"
        + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der)
        + "\n-----END "
        + type
        + "-----\n";
  }
}
