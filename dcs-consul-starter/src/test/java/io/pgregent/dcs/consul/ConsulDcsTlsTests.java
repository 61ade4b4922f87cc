package io.pgregent.dcs.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.testsupport.ConsulServer;
import io.pgregent.testsupport.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Patroni's {@code consul.cacert}, {@code cert}, {@code key} and {@code verify} against a real
 * agent whose HTTPS API only accepts clients with a certificate from its CA (made with {@code
 * openssl}, as an operator would).
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ConsulDcsTlsTests {

  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(2));

  @TempDir static Path dir;
  private static ConsulServer consul;
  private static String unavailable;

  @BeforeAll
  static void startConsul() throws Exception {
    unavailable = ConsulServer.unavailableReason();
    if (unavailable != null) {
      return;
    }
    TestCertificates.in(dir)
        .ca("ca", "/CN=regent-test-ca")
        .signed(
            "server",
            "/CN=server",
            "ca",
            "serverAuth,clientAuth",
            "IP:127.0.0.1,DNS:localhost,DNS:server.dc1.consul")
        .signed("client", "/CN=client", "ca", "clientAuth", "DNS:regent")
        // A second CA, whose certificates the agent must refuse.
        .ca("other", "/CN=someone-else");
    consul =
        ConsulServer.dev(
            ConsulServer.Options.plain()
                .withTls(
                    new ConsulServer.Tls(
                        dir.resolve("ca.crt"),
                        dir.resolve("server.crt"),
                        dir.resolve("server.key"))));
  }

  @AfterAll
  static void stopConsul() {
    if (consul != null) {
      consul.close();
    }
  }

  @BeforeEach
  void requireConsul() {
    assumeTrue(consul != null, unavailable);
  }

  private static ConsulDcs dcs(String scope, boolean verify, String ca, String cert, String key) {
    return new ConsulDcs(
        TestConsulSettings.of(
            consul.httpsUrl(),
            s -> {
              s.verify = verify;
              s.cacert = ca == null ? null : dir.resolve(ca);
              s.cert = cert == null ? null : dir.resolve(cert);
              s.key = key == null ? null : dir.resolve(key);
            }),
        ClusterPath.of("/service", scope),
        "a",
        TIMINGS);
  }

  @Test
  void withTheCaAndAClientCertificateAMemberTakesTheLock() {
    try (ConsulDcs a = dcs("tls1", true, "ca.crt", "client.crt", "client.key")) {
      a.renewSession();
      assertThat(a.tryAcquire()).isTrue();
      assertThat(a.read().isLockedBy("a")).isTrue();
    }
  }

  @Test
  void aServerCertificateFromAnotherCaIsRefusedNamingTheSettings() {
    try (ConsulDcs a = dcs("tls2", true, "other.crt", "client.crt", "client.key")) {
      assertThatThrownBy(a::read)
          .isInstanceOf(DcsConfigurationException.class)
          .hasMessageContaining("consul.cacert");
    }
  }

  @Test
  void withoutAClientCertificateTheAgentRefusesTheConnection() {
    try (ConsulDcs a = dcs("tls3", true, "ca.crt", null, null)) {
      assertThatThrownBy(a::read).isInstanceOf(DcsException.class);
    }
  }

  @Test
  void verifyFalseSkipsTheServerCheckButStillPresentsTheCertificate() {
    try (ConsulDcs a = dcs("tls4", false, null, "client.crt", "client.key")) {
      a.renewSession();
      assertThat(a.tryAcquire()).isTrue();
    }
  }
}
