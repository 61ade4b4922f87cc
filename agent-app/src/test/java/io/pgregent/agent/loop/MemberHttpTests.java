package io.pgregent.agent.loop;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.http.HttpClient;
import java.security.KeyManagementException;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import org.junit.jupiter.api.Test;

/** The member-to-member HTTP client without TLS settings: the JVM's defaults, set up late. */
class MemberHttpTests {

  @Test
  void theClientIsBuiltOnceOnFirstUse() {
    Supplier<HttpClient> lazy = MemberHttp.lazyClient(Map.of(), Duration.ofSeconds(2));

    HttpClient client = lazy.get();

    assertThat(lazy.get()).isSameAs(client);
    assertThat(client.connectTimeout()).contains(Duration.ofSeconds(2));
  }

  @Test
  void withoutTlsSettingsHttpsCallsGetTheJvmsDefaultContext() throws Exception {
    SSLContext deferred = MemberHttp.DeferredDefaultTls.context();
    SSLContext jvm = SSLContext.getDefault();

    SSLEngine engine = deferred.createSSLEngine("peer.example", 8008);
    SSLEngine expected = jvm.createSSLEngine("peer.example", 8008);

    // The same trust (sessions are cached per context) and the same protocols and cipher suites.
    assertThat(deferred.getClientSessionContext()).isSameAs(jvm.getClientSessionContext());
    assertThat(engine.getEnabledProtocols()).containsExactly(expected.getEnabledProtocols());
    assertThat(engine.getEnabledCipherSuites()).containsExactly(expected.getEnabledCipherSuites());
    assertThat(deferred.getDefaultSSLParameters().getProtocols())
        .containsExactly(jvm.getDefaultSSLParameters().getProtocols());
    assertThatThrownBy(() -> deferred.init(null, null, null))
        .isInstanceOf(KeyManagementException.class);
  }
}
