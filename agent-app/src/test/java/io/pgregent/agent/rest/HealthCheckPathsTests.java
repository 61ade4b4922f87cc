package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.agent.rest.HealthRules.Check;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpMethod;

/** One table of Patroni's health-check paths: the controller maps exactly the checks' paths. */
class HealthCheckPathsTests {

  @Test
  void theControllerMapsEveryChecksPathsAndNoOthers() throws Exception {
    String[] mapped =
        PatroniStatusController.class
            .getMethod("healthCheck", HttpServletRequest.class, HttpMethod.class, Map.class)
            .getAnnotation(HealthCheckMapping.class)
            .value();
    List<String> paths = Stream.of(Check.values()).flatMap(c -> c.paths().stream()).toList();
    assertThat(mapped).doesNotHaveDuplicates().containsExactlyInAnyOrderElementsOf(paths);
  }

  @Test
  void eachPathAnswersWithItsOwnCheck() {
    assertThat(Check.byPath("/")).isEqualTo(Check.PRIMARY);
    assertThat(Check.byPath("/read-write")).isEqualTo(Check.PRIMARY);
    assertThat(Check.byPath("/standby_leader")).isEqualTo(Check.STANDBY_LEADER);
    assertThat(Check.byPath("/read-only-synchronous")).isEqualTo(Check.READ_ONLY_SYNC);
    assertThat(Check.byPath("/patroni")).isEqualTo(Check.STATUS);
    assertThat(Check.byPath("/liveness")).isNull();
    assertThat(Check.byPath("/cluster")).isNull();
    assertThat(Check.byPath(null)).isNull();
    for (Check c : Check.values()) {
      c.paths().forEach(p -> assertThat(Check.byPath(p)).as(p).isEqualTo(c));
    }
    assertThat(HealthCheckObservations.HEALTH_CHECK_PATHS)
        .doesNotHaveDuplicates()
        .hasSize(21)
        .contains("/liveness", "/readiness", "/", "/patroni");
  }
}
