package io.pgregent.dcs.consul;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.core.dcs.DcsException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Consul's answers as its HTTP API documents them, and the bodies we send. */
class ConsulJsonTests {

  @Test
  void kvEntriesDecodeBase64ValuesAndKeepModifyIndexAndSession() {
    // GET /v1/kv/service/batman/?recurse as Consul answers it.
    String body =
        "[{\"LockIndex\":1,\"Key\":\"service/batman/leader\",\"Flags\":0,\"Value\":\"cGcx\","
            + "\"Session\":\"adf4238a-882b-9ddc-4a9d-5b6758e4159e\",\"CreateIndex\":100,"
            + "\"ModifyIndex\":200},"
            + "{\"LockIndex\":0,\"Key\":\"service/batman/initialize\",\"Flags\":0,\"Value\":null,"
            + "\"CreateIndex\":90,\"ModifyIndex\":90}]";
    assertThat(ConsulJson.kvEntries(body))
        .containsExactly(
            new ConsulJson.KvEntry(
                "service/batman/leader", "pg1", 200, "adf4238a-882b-9ddc-4a9d-5b6758e4159e"),
            new ConsulJson.KvEntry("service/batman/initialize", "", 90, null));
    assertThat(ConsulJson.kvEntries("")).isEmpty();
  }

  @Test
  void aMalformedAnswerIsAnErrorNamingWhatCame() {
    assertThatThrownBy(() -> ConsulJson.kvEntries("<html>proxy error</html>"))
        .isInstanceOf(DcsException.class)
        .hasMessageContaining("proxy error");
    assertThatThrownBy(() -> ConsulJson.bool("maybe"))
        .isInstanceOf(DcsException.class)
        .hasMessageContaining("maybe");
  }

  @Test
  void writesAnswerTrueOrFalse() {
    assertThat(ConsulJson.bool("true")).isTrue();
    assertThat(ConsulJson.bool("false\n")).isFalse();
  }

  @Test
  void theSessionIdIsReadFromTheCreateAnswer() {
    assertThat(ConsulJson.sessionId("{\"ID\": \"adf4238a-882b-9ddc-4a9d-5b6758e4159e\"}"))
        .isEqualTo("adf4238a-882b-9ddc-4a9d-5b6758e4159e");
    assertThatThrownBy(() -> ConsulJson.sessionId("{}")).isInstanceOf(DcsException.class);
  }

  @Test
  void theSessionBodyNamesItsChecksOnlyWhenConfigured() {
    assertThat(ConsulJson.sessionCreate("batman-pg0", Duration.ofSeconds(15), null))
        .isEqualTo(
            "{\"Name\":\"batman-pg0\",\"TTL\":\"15s\",\"LockDelay\":\"1ms\","
                + "\"Behavior\":\"delete\"}");
    assertThat(
            ConsulJson.sessionCreate(
                "batman-pg0", Duration.ofSeconds(15), List.of("serfHealth", "service:pg")))
        .endsWith("\"Checks\":[\"serfHealth\",\"service:pg\"]}");
  }
}
