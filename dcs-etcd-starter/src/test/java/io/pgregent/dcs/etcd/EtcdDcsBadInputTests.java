package io.pgregent.dcs.etcd;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.core.dcs.DcsUnreachableException;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.FreePorts;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Wrong credentials, certificates and endpoints give one clear error naming the setting. */
@Timeout(60)
class EtcdDcsBadInputTests {

  private static EtcdServer etcd;
  private static final DcsTimings TIMINGS =
      new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(2));
  private final ClusterPath path = ClusterPath.of(null, "bad-input");

  @BeforeAll
  static void startEtcdWithAuth() {
    etcd = EtcdServer.start();
    etcd.enableAuth("rootpw");
  }

  @AfterAll
  static void stopEtcd() {
    etcd.close();
  }

  private EtcdDcs connect(String user, String password) {
    return new EtcdDcs(
        new EtcdSettings(List.of(URI.create(etcd.clientUrl())), user, password, null, null, null),
        path,
        "pg0",
        TIMINGS);
  }

  @Test
  void theRightCredentialsWork() {
    try (EtcdDcs dcs = connect("root", "rootpw")) {
      dcs.renewSession();
      assertThat(dcs.tryAcquire()).isTrue();
      assertThat(dcs.read().isLockedBy("pg0")).isTrue();
      // Renewals carry the credentials too: they go over one kept-open keep-alive stream.
      Map<String, Long> before = etcd.grpcCounts("grpc_server_started_total");
      for (int cycle = 0; cycle < 3; cycle++) {
        assertThat(dcs.renewSession()).isTrue();
        assertThat(dcs.refresh()).isTrue();
      }
      Map<String, Long> after = etcd.grpcCounts("grpc_server_started_total");
      assertThat(EtcdDcsReadTests.delta(before, after, "LeaseKeepAlive")).isEqualTo(1);
    }
  }

  @Test
  void aWrongPasswordNamesTheSettingsAndIsNotRetriedAsAnOutage() {
    try (EtcdDcs dcs = connect("root", "wrong")) {
      assertThatThrownBy(dcs::read)
          .isInstanceOf(DcsConfigurationException.class)
          .hasMessageContaining("etcd3.username")
          .hasMessageContaining("etcd3.password");
    }
  }

  @Test
  void noCredentialsOnAnAuthEnabledServerNamesTheSettings() {
    try (EtcdDcs dcs = connect(null, null)) {
      assertThatThrownBy(dcs::read)
          .isInstanceOf(DcsConfigurationException.class)
          .hasMessageContaining("etcd3.username");
    }
  }

  @Test
  void anUnreadableCaCertificateNamesTheSetting() {
    assertThatThrownBy(
            () ->
                new EtcdDcs(
                    new EtcdSettings(
                        List.of(URI.create("https://127.0.0.1:2379")),
                        null,
                        null,
                        Path.of("/nonexistent/ca.pem"),
                        null,
                        null),
                    path,
                    "pg0",
                    TIMINGS))
        .isInstanceOf(DcsConfigurationException.class)
        .hasMessageContaining("etcd3.cacert");
  }

  @Test
  void nothingListeningIsUnreachableWithinRetryTimeoutNamingTheEndpoint() {
    int port = FreePorts.next();
    try (EtcdDcs dcs =
        new EtcdDcs(EtcdSettings.of("http://127.0.0.1:" + port), path, "pg0", TIMINGS)) {
      long start = System.nanoTime();
      assertThatThrownBy(dcs::read)
          .isInstanceOf(DcsUnreachableException.class)
          .hasMessageContaining("127.0.0.1:" + port);
      assertThat(Duration.ofNanos(System.nanoTime() - start))
          .isLessThanOrEqualTo(TIMINGS.retryTimeout().plusSeconds(1));
    }
  }
}
