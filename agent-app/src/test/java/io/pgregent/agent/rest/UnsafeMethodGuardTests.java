package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.RestApiSettings;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestMembers;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** Allowlist, client certificate and Basic authentication on unsafe methods, in Patroni's order. */
class UnsafeMethodGuardTests {

  private static UnsafeMethodGuard guard(Map<String, Object> props, String user, String password) {
    AgentConfig base = RestTestConfigs.config("pg1", Tags.none());
    Map<String, Object> all = new LinkedHashMap<>(base.properties());
    all.putAll(props);
    AgentConfig config =
        new AgentConfig(
            base.scope(),
            base.namespace(),
            base.name(),
            new RestApiSettings("127.0.0.1", 8008, "127.0.0.1:8008", user, password),
            base.postgresql(),
            base.bootstrapDcs(),
            base.tags(),
            all);
    return guard(config);
  }

  /** The guard of {@code config}; its loop is never started, the guard only reads its snapshot. */
  static UnsafeMethodGuard guard(AgentConfig config) {
    return new UnsafeMethodGuard(TestMembers.offlineLoop(config), config);
  }

  private static int status(UnsafeMethodGuard g, String method, String remote, String auth)
      throws Exception {
    return status(g, method, "/config", remote, auth);
  }

  /** The status the guard answers, or 200 when it lets the request through. */
  static int status(UnsafeMethodGuard g, String method, String path, String remote, String auth)
      throws Exception {
    MockHttpServletRequest req = new MockHttpServletRequest(method, path);
    req.setRemoteAddr(remote);
    if (auth != null) {
      req.addHeader("Authorization", auth);
    }
    MockHttpServletResponse res = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();
    g.doFilter(req, res, chain);
    return chain.getRequest() != null ? 200 : res.getStatus();
  }

  @Test
  void allowlistRestrictsUnsafeMethodsOnly() throws Exception {
    UnsafeMethodGuard g =
        guard(
            Map.of("restapi.allowlist[0]", "10.0.0.0/8", "restapi.allowlist[1]", "192.168.1.7"),
            null,
            null);
    assertThat(status(g, "PATCH", "10.20.30.40", null)).isEqualTo(200);
    assertThat(status(g, "POST", "192.168.1.7", null)).isEqualTo(200);
    assertThat(status(g, "POST", "192.168.1.8", null)).isEqualTo(403);
    assertThat(status(g, "DELETE", "127.0.0.1", null)).isEqualTo(403);
    assertThat(status(g, "GET", "127.0.0.1", null)).isEqualTo(200);
    assertThat(status(g, "OPTIONS", "127.0.0.1", null)).isEqualTo(200);
  }

  @Test
  void allowlistIsCheckedBeforeCredentials() throws Exception {
    UnsafeMethodGuard g = guard(Map.of("restapi.allowlist[0]", "10.0.0.1"), "admin", "s3cret");
    String good = RawHttp.basic("admin", "s3cret");
    assertThat(status(g, "POST", "127.0.0.1", good)).isEqualTo(403);
    assertThat(status(g, "POST", "10.0.0.1", good)).isEqualTo(200);
    assertThat(status(g, "POST", "10.0.0.1", null)).isEqualTo(401);
  }

  @Test
  void basicAuthenticationOnEveryUnsafeMethod() throws Exception {
    UnsafeMethodGuard g = guard(Map.of(), "admin", "s3cret");
    for (String method : new String[] {"POST", "PUT", "PATCH", "DELETE"}) {
      assertThat(status(g, method, "127.0.0.1", null)).isEqualTo(401);
      assertThat(status(g, method, "127.0.0.1", RawHttp.basic("admin", "wrong"))).isEqualTo(401);
      assertThat(status(g, method, "127.0.0.1", "Basic !!!")).isEqualTo(401);
      assertThat(status(g, method, "127.0.0.1", RawHttp.basic("admin", "s3cret"))).isEqualTo(200);
    }
    assertThat(status(g, "GET", "127.0.0.1", null)).isEqualTo(200);
    assertThat(status(g, "BREW", "127.0.0.1", null)).isEqualTo(405);
  }

  @Test
  void optionalClientCertificateIsRequiredForUnsafeMethods() throws Exception {
    UnsafeMethodGuard g = guard(Map.of("restapi.verify_client", "optional"), null, null);
    assertThat(status(g, "POST", "127.0.0.1", null)).isEqualTo(403);
    assertThat(status(g, "GET", "127.0.0.1", null)).isEqualTo(200);
  }

  @Test
  void cidrMatching() {
    var net = UnsafeMethodGuard.Network.parse("10.1.0.0/16").get(0);
    assertThat(net.contains(java.net.InetAddress.getLoopbackAddress())).isFalse();
    var v6 = UnsafeMethodGuard.Network.parse("::1").get(0);
    assertThat(v6.contains(java.net.InetAddress.getLoopbackAddress())).isFalse();
  }
}
