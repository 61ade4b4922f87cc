package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.core.cluster.ClusterConfig;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class TimingsTests {

  @ParameterizedTest(name = "{0}/{1}/{2} -> {3}/{4}/{5}")
  @CsvSource({
    // ttl, loop_wait, retry_timeout written -> in force
    "20, 2, 10, 20, 1, 9", // Patroni's acceptance suite
    "30, 10, 15, 30, 1, 14",
    "30, 10, 12, 30, 6, 12",
    "30, 10, 10, 30, 10, 10", // Patroni's defaults fit
    "10, 2, 4, 10, 2, 4",
    "5, 1, 2, 5, 1, 2", // the fast profile fits
    "12, 10, 10, 12, 1, 5",
    "5, 1, 3, 5, 1, 2",
    "3, 0, 0, 5, 1, 1", // Regent's minimums first
    "5, 5, 1, 5, 3, 1",
  })
  void adjustsAsPatroniDoes(int ttl, int loopWait, int retry, int inTtl, int inLoop, int inRetry) {
    Timings t = Timings.adjust(ttl, loopWait, retry);
    assertThat(t.ttl()).isEqualTo(inTtl);
    assertThat(t.loopWait()).isEqualTo(inLoop);
    assertThat(t.retryTimeout()).isEqualTo(inRetry);
    assertThat(t.loopWait() + 2 * t.retryTimeout()).isLessThanOrEqualTo(t.ttl());
  }

  @Test
  void warningsUsePatronisWording() {
    assertThat(Timings.adjust(20, 2, 10).warning())
        .contains(
            "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl=20. Adjusting"
                + " loop_wait from 2 to 1 and retry_timeout from 10 to 9");
    assertThat(Timings.adjust(30, 10, 12).warning())
        .contains(
            "Violated the rule \"loop_wait + 2*retry_timeout <= ttl\", where ttl=30 and"
                + " retry_timeout=12. Adjusting loop_wait from 10 to 6");
    assertThat(Timings.adjust(30, 10, 10).warning()).isEmpty();
    assertThat(Timings.adjust(3, 0, 0).warning()).isEmpty();
  }

  @Test
  void theStoredDocumentKeepsWhatWasWrittenAndTheAccessorsGiveTheValuesInForce() throws Exception {
    var data =
        (com.fasterxml.jackson.databind.node.ObjectNode)
            new ObjectMapper()
                .readTree("{\"ttl\": 20, \"loop_wait\": \"2\", \"retry_timeout\": 10}");
    ClusterConfig config = new ClusterConfig(data, 7);
    assertThat(config.ttl()).isEqualTo(20);
    assertThat(config.loopWait()).isEqualTo(1);
    assertThat(config.retryTimeout()).isEqualTo(9);
    assertThat(config.data().get("loop_wait").asText()).isEqualTo("2");
    assertThat(config.data().get("retry_timeout").asInt()).isEqualTo(10);
    assertThat(config.timings().dcsTimings())
        .isEqualTo(new DcsTimings(Duration.ofSeconds(20), Duration.ofSeconds(9)));
  }

  @Test
  void absentOrUnreadableValuesTakePatronisDefaults() throws Exception {
    Timings t =
        io.pgregent.core.config.DynamicConfig.parse(
                new ObjectMapper().readTree("{\"ttl\": \"soon\"}"))
            .config()
            .timings();
    assertThat(t).isEqualTo(Timings.defaults());
    assertThat(t.ttl()).isEqualTo(30);
    assertThat(t.loopWait()).isEqualTo(10);
    assertThat(t.retryTimeout()).isEqualTo(10);
  }
}
