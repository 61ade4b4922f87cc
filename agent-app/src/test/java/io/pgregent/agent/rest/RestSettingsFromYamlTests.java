package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.AgentConfigLoader;
import io.pgregent.agent.config.ConfigFixtures;
import io.pgregent.agent.config.LoadedConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Patroni's {@code restapi:} YAML reaches the REST API's security, TLS and header settings. */
class RestSettingsFromYamlTests {

  @Test
  void patroniRestapiSectionIsHonoured(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("patroni.yml");
    Files.writeString(
        file,
        ConfigFixtures.withRestapi(
                """
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
                """)
            + "regent:\n  restapi:\n    switchover_timeout: 5\n");
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

    UnsafeMethodGuard guard = UnsafeMethodGuardTests.guard(config);
    // allowed address, but no certificate
    assertThat(UnsafeMethodGuardTests.status(guard, "POST", "/restart", "192.168.7.7", null))
        .isEqualTo(403);
    assertThat(UnsafeMethodGuardTests.status(guard, "POST", "/restart", "172.16.0.1", null))
        .isEqualTo(403);
  }

  @Test
  void noTlsWithoutCertfile() {
    assertThat(RestTls.serverSslProperties(Map.of("restapi.keyfile", "/k"))).isEmpty();
    assertThat(RestTls.serverHeader(Map.of(), "4.1.4", "0.1.0"))
        .isEqualTo("Patroni/4.1.4 Regent/0.1.0");
  }
}
