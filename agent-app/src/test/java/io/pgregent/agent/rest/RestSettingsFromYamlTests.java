package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.LoadedConfig;
import io.pgregent.agent.loop.HaLoop;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.mock.web.MockFilterChain;
import org.springframework.mock.web.MockHttpServletRequest;
import org.springframework.mock.web.MockHttpServletResponse;

/** Patroni's {@code restapi:} YAML reaches the REST API's security, TLS and header settings. */
class RestSettingsFromYamlTests {

  @Test
  void patroniRestapiSectionIsHonoured(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("patroni.yml");
    Files.writeString(
        file,
        """
        scope: batman
        name: pg1
        restapi:
          listen: 127.0.0.1:8008
          connect_address: 10.0.0.11:8008
          certfile: /etc/ssl/rest.pem
          keyfile: /etc/ssl/rest.key
          cafile: /etc/ssl/ca.pem
          verify_client: optional
          allowlist: [10.0.0.0/8, 192.168.7.7]
          http_extra_headers:
            X-Frame-Options: SAMEORIGIN
          https_extra_headers:
            Strict-Transport-Security: max-age=31536000
          server_tokens: Minimal
        regent:
          restapi:
            switchover_timeout: 5
        etcd3:
          hosts: 10.0.0.1:2379
        postgresql:
          listen: 127.0.0.1:5432
          connect_address: 10.0.0.11:5432
          data_dir: /data/pg1
          authentication:
            superuser:
              username: postgres
              password: super-pass
            replication:
              username: replicator
              password: repl-pass
        """);
    LoadedConfig loaded = new AgentConfigLoader(Map.of()).load(file);
    assertThat(loaded.warnings()).isEmpty();
    AgentConfig config = loaded.config();

    assertThat(RestTls.serverSslProperties(config.properties()))
        .containsEntry("server.ssl.enabled", true)
        .containsEntry("server.ssl.certificate", "file:/etc/ssl/rest.pem")
        .containsEntry("server.ssl.certificate-private-key", "file:/etc/ssl/rest.key")
        .containsEntry("server.ssl.trust-certificate", "file:/etc/ssl/ca.pem")
        .containsEntry("server.ssl.client-auth", "want");
    assertThat(RestTls.serverHeader(config.properties(), "4.1.4", "0.1.0"))
        .isEqualTo("Patroni/4.1.4");
    assertThat(new ExtraHeaders(config).headers())
        .containsEntry("X-Frame-Options", "SAMEORIGIN")
        .containsEntry("Strict-Transport-Security", "max-age=31536000");

    UnsafeMethodGuard guard =
        new UnsafeMethodGuard(
            new HaLoop(
                null,
                null,
                config,
                new io.pgregent.agent.loop.FailsafeHeartbeats(),
                null,
                io.pgregent.core.time.Clock.system()),
            config);
    assertThat(post(guard, "192.168.7.7")).isEqualTo(403); // allowed address, but no certificate
    assertThat(post(guard, "172.16.0.1")).isEqualTo(403);
  }

  private static int post(UnsafeMethodGuard guard, String remote) throws Exception {
    MockHttpServletRequest req = new MockHttpServletRequest("POST", "/restart");
    req.setRemoteAddr(remote);
    MockHttpServletResponse res = new MockHttpServletResponse();
    MockFilterChain chain = new MockFilterChain();
    guard.doFilter(req, res, chain);
    return chain.getRequest() != null ? 200 : res.getStatus();
  }

  @Test
  void noTlsWithoutCertfile() {
    assertThat(RestTls.serverSslProperties(Map.of("restapi.keyfile", "/k"))).isEmpty();
    assertThat(RestTls.serverHeader(Map.of(), "4.1.4", "0.1.0"))
        .isEqualTo("Patroni/4.1.4 Regent/0.1.0");
  }
}
