package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class DcsSectionsTests {

  @Test
  void theSectionPresentPicksTheStore() {
    List<String> names = List.of("scope", "etcd3.hosts", "postgresql.data_dir");
    assertThat(DcsSections.selects("etcd3", names)).isTrue();
    assertThat(DcsSections.selects("zookeeper", names)).isFalse();
  }

  @Test
  void twoSectionsAreAnErrorNamingBoth() {
    assertThatThrownBy(
            () -> DcsSections.selects("etcd3", List.of("etcd3.host", "consul.host", "scope")))
        .hasMessageContaining("consul and etcd3");
  }

  @Test
  void identityComesFromTopLevelKeys() {
    Map<String, String> props =
        Map.of("scope", "batman", "name", "pg0", "bootstrap.dcs.ttl", "12", "namespace", "/x");
    DcsSections.Identity id = DcsSections.identity(props::get);
    assertThat(id.path().prefix()).isEqualTo("/x/batman/");
    assertThat(id.member()).isEqualTo("pg0");
    assertThat(id.timings().ttl().toSeconds()).isEqualTo(12);
    // loop_wait 10 + 2 × retry_timeout 10 breaks ttl 12: loop_wait 1, retry_timeout (12 − 1) / 2
    assertThat(id.timings().retryTimeout().toSeconds()).isEqualTo(5);
  }

  @Test
  void theAcceptanceSuiteTimingsStartAdjusted() {
    Map<String, String> props =
        Map.of(
            "scope", "batman",
            "name", "pg0",
            "bootstrap.dcs.ttl", "20",
            "bootstrap.dcs.loop_wait", "2",
            "bootstrap.dcs.retry_timeout", "10");
    DcsTimings timings = DcsSections.identity(props::get).timings();
    assertThat(timings.ttl().toSeconds()).isEqualTo(20);
    assertThat(timings.retryTimeout().toSeconds()).isEqualTo(9);
  }

  static Stream<Arguments> missingOrInvalidKeys() {
    return Stream.of(
        arguments(Map.of("name", "pg0"), "scope"),
        arguments(Map.of("scope", "s"), "name"),
        arguments(
            Map.of("scope", "s", "name", "n", "bootstrap.dcs.ttl", "soon"), "bootstrap.dcs.ttl"),
        arguments(Map.of("scope", "s", "name", "n", "bootstrap.dcs.ttl", "1"), "bootstrap.dcs.ttl"),
        arguments(
            Map.of("scope", "s", "name", "n", "bootstrap.dcs.retry_timeout", "-3"),
            "bootstrap.dcs.retry_timeout"),
        arguments(
            Map.of("scope", "s", "name", "n", "bootstrap.dcs.loop_wait", "x"),
            "bootstrap.dcs.loop_wait"));
  }

  @ParameterizedTest
  @MethodSource("missingOrInvalidKeys")
  void missingOrInvalidKeysAreNamed(Map<String, String> props, String key) {
    assertThatThrownBy(() -> DcsSections.identity(props::get)).hasMessageStartingWith(key);
  }
}
