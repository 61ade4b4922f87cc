package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.RegentApplication;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestMembers;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The REST API over TLS from Patroni's settings ({@code restapi.certfile}, {@code keyfile}, {@code
 * cafile}, {@code verify_client: required}), on a real one-member cluster: HTTPS with a client
 * certificate works, without one the handshake fails, plain HTTP gets no answer, and the member key
 * publishes an https {@code api_url}.
 */
@Timeout(180)
class RestTlsTests {

  static EtcdServer etcd;
  static Path base;
  static AgentConfig config;
  static ConfigurableApplicationContext agent;
  static Path cert;
  static Path key;

  @BeforeAll
  static void start() throws Exception {
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-tls");
    cert = base.resolve("rest.crt");
    key = base.resolve("rest.key");
    Process p =
        new ProcessBuilder(
                "openssl",
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-keyout",
                key.toString(),
                "-out",
                cert.toString(),
                "-days",
                "2",
                "-subj",
                "/CN=127.0.0.1",
                "-addext",
                "subjectAltName=IP:127.0.0.1")
            .redirectErrorStream(true)
            .start();
    p.getInputStream().readAllBytes();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).isZero();
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("restapi.certfile", cert.toString());
    extra.put("restapi.keyfile", key.toString());
    extra.put("restapi.cafile", cert.toString());
    extra.put("restapi.verify_client", "required");
    extra.put("restapi.ciphers", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256");
    config =
        TestMembers.member(
            base, "tls", "pg0", "127.0.0.1:" + etcd.clientPort(), Tags.none(), extra, null);
    agent = RegentApplication.run(config);
  }

  @AfterAll
  static void stop() {
    TestMembers.stopAll(etcd, base, Arrays.asList(agent));
  }

  static SSLContext context(boolean withClientCertificate) {
    PemSslStoreDetails trust = PemSslStoreDetails.forCertificate("file:" + cert);
    PemSslStoreDetails keys =
        withClientCertificate
            ? PemSslStoreDetails.forCertificate("file:" + cert).withPrivateKey("file:" + key)
            : null;
    return SslBundle.of(new PemSslStoreBundle(keys, trust)).createSslContext();
  }

  static int get(SSLContext ssl, String scheme, String path) throws Exception {
    HttpClient client =
        HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(2)).build();
    return client
        .send(
            HttpRequest.newBuilder(
                    URI.create(scheme + "://127.0.0.1:" + config.restapi().listenPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void membersCallingWithCtlInsecureStillShowTheirCertificate() throws Exception {
    // Patroni's acceptance suite: PATRONI_CTL_INSECURE=on with PATRONI_CTL_CERTFILE/KEYFILE, and
    // every member's REST API with verify_client: required. Insecure skips checking the server,
    // it does not drop our certificate.
    HttpClient member =
        io.pgregent.agent.loop.MemberHttp.client(
            Map.of(
                "ctl.insecure",
                "on",
                "ctl.certfile",
                cert.toString(),
                "ctl.keyfile",
                key.toString()),
            Duration.ofSeconds(2));
    URI patroni = URI.create("https://127.0.0.1:" + config.restapi().listenPort() + "/patroni");
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(
            () ->
                member
                        .send(
                            HttpRequest.newBuilder(patroni).timeout(Duration.ofSeconds(5)).build(),
                            HttpResponse.BodyHandlers.discarding())
                        .statusCode()
                    == 200);
  }

  @Test
  void httpsWithClientCertificatesAsPatroniConfiguresIt() throws Exception {
    SSLContext withCert = context(true);
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(() -> get(withCert, "https", "/primary") == 200);
    assertThat(get(withCert, "https", "/patroni")).isEqualTo(200);
    // without a client certificate the handshake fails
    assertThatThrownBy(() -> get(context(false), "https", "/patroni"))
        .isInstanceOf(IOException.class);
    // plain HTTP on the TLS port is no API
    int plain;
    try {
      plain = get(withCert, "http", "/patroni");
    } catch (IOException e) {
      plain = -1;
    }
    assertThat(plain).isNotEqualTo(200);
    // the member key tells peers and tools to use https
    Dcs dcs = agent.getBean(Dcs.class);
    assertThat(dcs.read().member("pg0").orElseThrow().apiUrl())
        .hasValue("https://127.0.0.1:" + config.restapi().listenPort() + "/patroni");
    assertThat(List.of(config.restapi().listenPort())).isNotEmpty();
  }

  @Test
  void restapiCiphersLimitWhatTheServerAccepts() throws Exception {
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(() -> get(context(true), "https", "/patroni") == 200);
    javax.net.ssl.SSLParameters listed = new javax.net.ssl.SSLParameters();
    listed.setProtocols(new String[] {"TLSv1.2"});
    listed.setCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"});
    assertThat(get(context(true), listed, "/patroni")).isEqualTo(200);
    javax.net.ssl.SSLParameters other = new javax.net.ssl.SSLParameters();
    other.setProtocols(new String[] {"TLSv1.2"});
    other.setCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"});
    assertThatThrownBy(() -> get(context(true), other, "/patroni")).isInstanceOf(IOException.class);
  }

  static int get(SSLContext ssl, javax.net.ssl.SSLParameters params, String path) throws Exception {
    HttpClient client =
        HttpClient.newBuilder()
            .sslContext(ssl)
            .sslParameters(params)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    return client
        .send(
            HttpRequest.newBuilder(
                    URI.create("https://127.0.0.1:" + config.restapi().listenPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  @Test
  void membersReachEachOtherOverTlsWithTheConfiguredCaAndCertificate() throws Exception {
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(() -> get(context(true), "https", "/primary") == 200);
    io.pgregent.core.cluster.Member self =
        agent.getBean(Dcs.class).read().member("pg0").orElseThrow();
    // What the leader race and the switchover checks use: restapi.cafile to trust the peer,
    // restapi.certfile/keyfile as the client certificate the peer requires.
    io.pgregent.agent.loop.PeerClient peers =
        new io.pgregent.agent.loop.PeerClient(
            Duration.ofSeconds(2),
            io.pgregent.agent.loop.MemberHttp.client(config.properties(), Duration.ofSeconds(2)));
    io.pgregent.core.ha.PeerStatus status = peers.query(List.of(self)).get("pg0");
    assertThat(status.reachable()).isTrue();
    assertThat(status.primary()).isTrue();
    // Without them (the JVM's default trust) the same peer is unreachable.
    io.pgregent.core.ha.PeerStatus untrusted =
        new io.pgregent.agent.loop.PeerClient(Duration.ofSeconds(2))
            .query(List.of(self))
            .get("pg0");
    assertThat(untrusted.reachable()).isFalse();
    // So with a configuration without TLS settings, whose client sets up the JVM's defaults late.
    io.pgregent.core.ha.PeerStatus unconfigured =
        new io.pgregent.agent.loop.PeerClient(
                Duration.ofSeconds(2),
                io.pgregent.agent.loop.MemberHttp.lazyClient(Map.of(), Duration.ofSeconds(2)))
            .query(List.of(self))
            .get("pg0");
    assertThat(unconfigured.reachable()).isFalse();
    // ctl.insecure skips verification, but the peer still wants our certificate.
    io.pgregent.core.ha.PeerStatus insecure =
        new io.pgregent.agent.loop.PeerClient(
                Duration.ofSeconds(2),
                io.pgregent.agent.loop.MemberHttp.client(
                    Map.of("ctl.insecure", true), Duration.ofSeconds(2)))
            .query(List.of(self))
            .get("pg0");
    assertThat(insecure.reachable()).isFalse();
  }
}
