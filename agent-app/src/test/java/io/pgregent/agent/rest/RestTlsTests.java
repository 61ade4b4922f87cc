package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.MemberHttp;
import io.pgregent.agent.loop.PeerClient;
import io.pgregent.agent.loop.TestCluster;
import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.ha.PeerStatus;
import io.pgregent.testsupport.TestCertificates;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import org.junit.jupiter.api.AutoClose;
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

  private static final Duration TWO_SECONDS = Duration.ofSeconds(2);

  @AutoClose static TestCluster cluster;
  static AgentConfig config;
  static ConfigurableApplicationContext agent;
  static Path cert;
  static Path key;

  @BeforeAll
  static void start() throws Exception {
    cluster = new TestCluster("tls");
    cert = cluster.base().resolve("rest.crt");
    key = cluster.base().resolve("rest.key");
    TestCertificates.in(cluster.base()).selfSigned("rest", "/CN=127.0.0.1", "IP:127.0.0.1");
    Map<String, Object> extra = new LinkedHashMap<>();
    extra.put("restapi.certfile", cert.toString());
    extra.put("restapi.keyfile", key.toString());
    extra.put("restapi.cafile", cert.toString());
    extra.put("restapi.verify_client", "required");
    extra.put("restapi.ciphers", "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256");
    config = cluster.member("pg0", Tags.none(), extra, null);
    agent = cluster.run(config);
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
    return get(ssl, null, scheme, path);
  }

  /** The status of a GET over {@code ssl}, limited to {@code params} unless null. */
  static int get(SSLContext ssl, SSLParameters params, String scheme, String path)
      throws Exception {
    HttpClient.Builder client =
        HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(2));
    if (params != null) {
      client.sslParameters(params);
    }
    return client
        .build()
        .send(
            HttpRequest.newBuilder(
                    URI.create(scheme + "://127.0.0.1:" + config.restapi().listenPort() + path))
                .timeout(Duration.ofSeconds(5))
                .build(),
            HttpResponse.BodyHandlers.discarding())
        .statusCode();
  }

  /** Waits until the REST API answers 200 over HTTPS with the client certificate. */
  static void awaitHttps(String path) {
    await()
        .atMost(Duration.ofSeconds(120))
        .ignoreExceptions()
        .until(() -> get(context(true), "https", path) == 200);
  }

  /** TLS 1.2 with one cipher suite only. */
  static SSLParameters tls12(String cipherSuite) {
    SSLParameters params = new SSLParameters();
    params.setProtocols(new String[] {"TLSv1.2"});
    params.setCipherSuites(new String[] {cipherSuite});
    return params;
  }

  @Test
  void membersCallingWithCtlInsecureStillShowTheirCertificate() throws Exception {
    // Patroni's acceptance suite: PATRONI_CTL_INSECURE=on with PATRONI_CTL_CERTFILE/KEYFILE, and
    // every member's REST API with verify_client: required. Insecure skips checking the server,
    // it does not drop our certificate.
    HttpClient member =
        MemberHttp.client(
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
    awaitHttps("/primary");
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
    awaitHttps("/patroni");
    SSLParameters listed = tls12("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256");
    assertThat(get(context(true), listed, "https", "/patroni")).isEqualTo(200);
    SSLParameters other = tls12("TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256");
    assertThatThrownBy(() -> get(context(true), other, "https", "/patroni"))
        .isInstanceOf(IOException.class);
  }

  @Test
  void membersReachEachOtherOverTlsWithTheConfiguredCaAndCertificate() throws Exception {
    awaitHttps("/primary");
    Member self = agent.getBean(Dcs.class).read().member("pg0").orElseThrow();
    // What the leader race and the switchover checks use: restapi.cafile to trust the peer,
    // restapi.certfile/keyfile as the client certificate the peer requires.
    PeerStatus status =
        status(
            self, new PeerClient(TWO_SECONDS, MemberHttp.client(config.properties(), TWO_SECONDS)));
    assertThat(status.reachable()).isTrue();
    assertThat(status.primary()).isTrue();
    // Without them (the JVM's default trust) the same peer is unreachable.
    assertThat(status(self, new PeerClient(TWO_SECONDS)).reachable()).isFalse();
    // So with a configuration without TLS settings, whose client sets up the JVM's defaults late.
    PeerStatus unconfigured =
        status(self, new PeerClient(TWO_SECONDS, MemberHttp.lazyClient(Map.of(), TWO_SECONDS)));
    assertThat(unconfigured.reachable()).isFalse();
    // ctl.insecure skips verification, but the peer still wants our certificate.
    PeerStatus insecure =
        status(
            self,
            new PeerClient(
                TWO_SECONDS, MemberHttp.client(Map.of("ctl.insecure", true), TWO_SECONDS)));
    assertThat(insecure.reachable()).isFalse();
  }

  /** What {@code peers} learn of {@code member} (pg0) when the loop queries it. */
  private static PeerStatus status(Member member, PeerClient peers) {
    return peers.query(List.of(member)).get("pg0");
  }
}
