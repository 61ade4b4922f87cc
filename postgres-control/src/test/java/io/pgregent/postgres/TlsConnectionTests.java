package io.pgregent.postgres;

import static io.pgregent.postgres.TestNodes.DYNAMIC;
import static io.pgregent.postgres.TestNodes.leaderOf;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.status.PostgresClient;
import io.pgregent.postgres.status.PostgresQueryException;
import io.pgregent.testsupport.TestCertificates;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Members configured as Patroni's acceptance suite runs them: TLS on, every TCP connection must
 * present a client certificate signed by the cluster's CA ({@code hostssl … clientcert=verify-ca}),
 * and each authentication entry names {@code sslmode}, {@code sslcert}, {@code sslkey} and {@code
 * sslrootcert} as PEM files. A last member connects its superuser through the unix socket only.
 */
@Timeout(240)
class TlsConnectionTests {

  private static final Duration LONG = Duration.ofSeconds(60);

  private static final List<String> PG_HBA =
      List.of(
          "local all all trust",
          "hostssl all all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca",
          "hostssl replication all 127.0.0.1/32 scram-sha-256 clientcert=verify-ca");

  static TestCluster cluster;
  static Path certs;
  static PostgresController node1;
  static PostgresController node2;

  @BeforeAll
  static void setUp() throws Exception {
    cluster = new TestCluster("regent-tls");
    certs = Files.createDirectories(cluster.base.resolve("certs"));
    makeCertificates(certs);
    node1 = cluster.controller(tlsNode("node1").build());
    node2 = cluster.controller(tlsNode("node2").build());
  }

  @AfterAll
  static void tearDown() {
    cluster.close();
  }

  /** Patroni's acceptance settings: one CA, PEM keys, verify-ca for every entry. */
  static Credentials withClientCertificate(Credentials c) {
    return new Credentials(
        c.username(),
        c.password(),
        Map.of(
            "sslmode", "verify-ca",
            "sslcert", certs.resolve("client.crt").toString(),
            "sslkey", certs.resolve("client.key").toString(),
            "sslrootcert", certs.resolve("ca.crt").toString()));
  }

  static io.pgregent.postgres.config.PostgresSettings.Builder tlsNode(String name) {
    return cluster
        .node("tls", name)
        .usePgRewind(true)
        .superuser(withClientCertificate(TestNodes.SUPERUSER))
        .replication(withClientCertificate(TestNodes.REPLICATION))
        .rewind(withClientCertificate(TestNodes.REWIND))
        .pgHba(PG_HBA)
        .parameter("ssl", "on")
        .parameter("ssl_cert_file", certs.resolve("server.crt").toString())
        .parameter("ssl_key_file", certs.resolve("server.key").toString())
        .parameter("ssl_ca_file", certs.resolve("ca.crt").toString());
  }

  /**
   * Bootstrap, refused and accepted certificates, a clone streaming over TLS, then pg_rewind over
   * TLS: each step starts from the members the one before left.
   */
  @Test
  @Timeout(600)
  void twoMembersOverTlsFromBootstrapToRewind() throws Exception {
    theStatusClientConnectsWithThePemClientCertificate();
    withoutAClientCertificateTheServerRefusesTheSuperuser();
    aPkcs1PemKeyIsConvertedInMemoryWhateverItsName();
    aReplicaClonedWithTheClientCertificateStreamsOverTls();
    theRewindPathConnectsToTheLeaderWithTheClientCertificate();
  }

  private void theStatusClientConnectsWithThePemClientCertificate() {
    node1.bootstrap();

    LocalPostgresState state = node1.state();
    assertThat(state.role()).isEqualTo(PostgresRole.PRIMARY);
    assertThat(node1.client().queryStrings(OWN_SSL)).containsExactly("true");
  }

  private void withoutAClientCertificateTheServerRefusesTheSuperuser() {
    Credentials caOnly =
        new Credentials(
            "postgres",
            "su-secret",
            Map.of("sslmode", "verify-ca", "sslrootcert", certs.resolve("ca.crt").toString()));
    assertThatThrownBy(() -> query(node1, caOnly, OWN_SSL))
        .isInstanceOf(PostgresQueryException.class)
        .hasMessageContaining("certificate");
    assertThatThrownBy(
            () -> query(node1, new Credentials("postgres", "su-secret", "disable"), OWN_SSL))
        .isInstanceOf(PostgresQueryException.class)
        .hasMessageContaining("pg_hba.conf");
  }

  private void aPkcs1PemKeyIsConvertedInMemoryWhateverItsName() throws Exception {
    TestCertificates tls = TestCertificates.in(certs);
    tls.openssl("genrsa", "-traditional", "-out", "legacy.rsa", "2048");
    tls.openssl("req", "-new", "-key", "legacy.rsa", "-subj", "/CN=postgres", "-out", "legacy.csr");
    tls.sign("legacy", "ca", null, null);
    Files.copy(certs.resolve("legacy.rsa"), certs.resolve("legacy.key"));
    assertThat(Files.readString(certs.resolve("legacy.key"), StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN RSA PRIVATE KEY-----");
    for (String key : List.of("legacy.rsa", "legacy.key")) {
      Credentials legacy =
          new Credentials(
              "postgres",
              "su-secret",
              Map.of(
                  "sslmode", "verify-ca",
                  "sslcert", certs.resolve("legacy.crt").toString(),
                  "sslkey", certs.resolve(key).toString(),
                  "sslrootcert", certs.resolve("ca.crt").toString()));
      assertThat(query(node1, legacy, OWN_SSL)).as(key).containsExactly("true");
    }
  }

  private void aReplicaClonedWithTheClientCertificateStreamsOverTls() throws Exception {
    node1.slots().syncReplicationSlots(java.util.Set.of("node1", "node2"));
    node1.client().execute("CREATE TABLE t (v text)");
    node1.client().execute("INSERT INTO t VALUES ('before clone')");

    node2.createReplica(leaderOf(node1), LONG);
    assertThat(Files.readString(node2.dataDir().resolve("postgresql.conf")))
        .contains("sslmode=verify-ca")
        .contains("sslcert=" + certs.resolve("client.crt"))
        .contains("sslkey=" + certs.resolve("client.key"))
        .contains("sslrootcert=" + certs.resolve("ca.crt"));
    node2.start();
    node1.client().execute("INSERT INTO t VALUES ('after clone')");

    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              TestNodes.assertStreamsOnlyTo(node1, "node2");
              assertThat(TestNodes.rowsOfT(node2)).containsExactly("after clone", "before clone");
            });
    assertThat(
            node1
                .client()
                .queryStrings(
                    "SELECT s.ssl::text FROM pg_stat_replication r JOIN pg_stat_ssl s USING (pid)"))
        .containsExactly("true");
  }

  private void theRewindPathConnectsToTheLeaderWithTheClientCertificate() {
    // Split: node2 is promoted while node1 stays primary, and both take writes.
    node2.promote(LONG);
    node2.slots().syncReplicationSlots(java.util.Set.of("node1", "node2"));
    node1.client().execute("INSERT INTO t VALUES ('lost on node1')");
    node2.client().execute("INSERT INTO t VALUES ('kept on node2')");
    node1.stop(StopMode.FAST, LONG);

    // The rewind user's own connection to the leader, as the CHECKPOINT before pg_rewind makes it
    assertThat(query(node2, node1.settings().rewindCredentials(), OWN_SSL)).containsExactly("true");
    assertThat(node1.rewindRequired(leaderOf(node2), LONG)).isTrue();
    assertThat(node1.rewind(leaderOf(node2), LONG)).isEqualTo(RewindOutcome.REWOUND);
    node1.start();

    await()
        .atMost(LONG)
        .untilAsserted(
            () -> {
              assertThat(TestNodes.rowsOfT(node1))
                  .contains("kept on node2")
                  .doesNotContain("lost on node1");
              TestNodes.assertStreamsOnlyTo(node2, "node1");
            });
  }

  @Test
  void useUnixSocketConnectsTheSuperuserThroughTheSocketDirectory() {
    PostgresController node3 =
        new PostgresController(
            cluster
                .node("tls", "node3")
                .useUnixSocket(true)
                .pgHba(
                    List.of(
                        "local all all scram-sha-256",
                        "host all postgres 127.0.0.1/32 reject",
                        "host all all 127.0.0.1/32 scram-sha-256",
                        "host replication all 127.0.0.1/32 scram-sha-256"))
                .build(),
            cluster.scheduler);
    try {
      node3.configure(DYNAMIC);
      assertThat(node3.settings().localSocketDirectory())
          .contains(cluster.base.resolve("node3-sock").toAbsolutePath());

      node3.bootstrap();

      assertThat(node3.state().role()).isEqualTo(PostgresRole.PRIMARY);
      // No client address: the session came through the socket.
      assertThat(node3.client().queryStrings("SELECT coalesce(inet_client_addr()::text, 'socket')"))
          .containsExactly("socket");
      assertThatThrownBy(() -> query(node3, TestNodes.SUPERUSER, "SELECT 1"))
          .isInstanceOf(PostgresQueryException.class)
          .hasMessageContaining("pg_hba.conf");
    } finally {
      TestNodes.stopQuietly(node3);
    }
  }

  private static final String OWN_SSL =
      "SELECT ssl::text FROM pg_stat_ssl WHERE pid = pg_backend_pid()";

  private static List<String> query(PostgresController to, Credentials as, String sql) {
    return PostgresClient.once(
        "127.0.0.1",
        to.settings().port(),
        as,
        Duration.ofSeconds(5),
        Duration.ofSeconds(5),
        c -> {
          try (var st = c.createStatement();
              var rs = st.executeQuery(sql)) {
            List<String> out = new ArrayList<>();
            while (rs.next()) {
              out.add(rs.getString(1));
            }
            return out;
          }
        });
  }

  /**
   * A throwaway CA, a server certificate and one client certificate for every role (PEM, PKCS#8
   * keys as {@code openssl req} writes them). Keys belong to PostgreSQL's OS user with mode 0600,
   * as libpq and the server require; root (the agent in CI) reads them anyway.
   */
  private static void makeCertificates(Path dir) throws Exception {
    TestCertificates.in(dir)
        .ca("ca", "/CN=regent-test-ca")
        .signed("server", "/CN=127.0.0.1", "ca", null, null)
        .signed("client", "/CN=postgres", "ca", null, null);
    assertThat(Files.readString(dir.resolve("client.key"), StandardCharsets.US_ASCII))
        .startsWith("-----BEGIN PRIVATE KEY-----");
    UserPrincipal owner =
        dir.getFileSystem()
            .getUserPrincipalLookupService()
            .lookupPrincipalByName(PostgresTestEnvironment.osUser());
    for (String key : List.of("server.key", "client.key")) {
      Files.setPosixFilePermissions(dir.resolve(key), PosixFilePermissions.fromString("rw-------"));
      Files.setOwner(dir.resolve(key), owner);
    }
    for (String pub : List.of("ca.crt", "server.crt", "client.crt")) {
      Files.setPosixFilePermissions(dir.resolve(pub), PosixFilePermissions.fromString("rw-r--r--"));
    }
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
  }
}
