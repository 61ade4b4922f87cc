package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SectionBinderTests {

  /** Shaped like a store's properties class. */
  public static final class Section {
    private List<String> hosts = List.of();
    private boolean useSsl;
    private Integer port;
    private Duration connectTimeout;
    private Path cacert;
    private Map<String, String> authData = Map.of();
    private Map<String, List<String>> setAcls = Map.of();
    private String password;

    public void setHosts(List<String> hosts) {
      this.hosts = hosts;
    }

    public void setUseSsl(boolean useSsl) {
      this.useSsl = useSsl;
    }

    public void setPort(Integer port) {
      this.port = port;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }

    public void setCacert(Path cacert) {
      this.cacert = cacert;
    }

    public void setAuthData(Map<String, String> authData) {
      this.authData = authData;
    }

    public void setSetAcls(Map<String, List<String>> setAcls) {
      this.setAcls = setAcls;
    }

    public void setPassword(String password) {
      if (password.isBlank()) {
        throw new IllegalArgumentException("must not be blank");
      }
      this.password = password;
    }
  }

  @Test
  void patroniKeysAndValueFormsBindOntoTheSetters() {
    Map<String, Object> yaml = new LinkedHashMap<>();
    yaml.put("hosts", "a:2181, b:2181");
    yaml.put("use_ssl", "on");
    yaml.put("port", 8500);
    yaml.put("connect_timeout", "2.5");
    yaml.put("cacert", "/etc/ca.pem");
    yaml.put("auth_data", Map.of("digest", "user:secret"));
    yaml.put("set_acls", Map.of("CN=admin", List.of("ALL")));
    yaml.put("unknown_key", "left alone");

    Section s = SectionBinder.bind("zookeeper", yaml, new Section());

    assertThat(s.hosts).containsExactly("a:2181", "b:2181");
    assertThat(s.useSsl).isTrue();
    assertThat(s.port).isEqualTo(8500);
    assertThat(s.connectTimeout).isEqualTo(Duration.ofMillis(2500));
    assertThat(s.cacert).isEqualTo(Path.of("/etc/ca.pem"));
    assertThat(s.authData).containsEntry("digest", "user:secret");
    assertThat(s.setAcls).containsEntry("CN=admin", List.of("ALL"));
  }

  @Test
  void aValueOfTheWrongShapeIsAnErrorNamingTheKey() {
    assertThatThrownBy(() -> SectionBinder.bind("consul", Map.of("port", "http"), new Section()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("consul.port: 'http'");
    assertThatThrownBy(
            () -> SectionBinder.bind("zookeeper", Map.of("use_ssl", "maybe"), new Section()))
        .hasMessageStartingWith("zookeeper.use_ssl:");
    assertThatThrownBy(
            () -> SectionBinder.bind("zookeeper", Map.of("connect_timeout", "soon"), new Section()))
        .hasMessageStartingWith("zookeeper.connect_timeout:");
    assertThatThrownBy(
            () -> SectionBinder.bind("zookeeper", Map.of("auth_data", "digest"), new Section()))
        .hasMessageStartingWith("zookeeper.auth_data:");
    assertThatThrownBy(() -> SectionBinder.bind("etcd3", Map.of("password", " "), new Section()))
        .hasMessage("etcd3.password: must not be blank");
  }

  @Test
  void aTargetsOwnRetryTimeoutIsFittedToItsTtlAsTheLoopFitsIt() {
    DcsTarget target =
        new DcsTarget(
            ClusterPath.of(null, "c"),
            "m",
            new DcsTimings(Duration.ofSeconds(10), Duration.ofSeconds(3)));
    assertThat(target.withRetryTimeout(2).timings().retryTimeout())
        .isEqualTo(Duration.ofSeconds(2));
    // loop_wait 1 + 2 × 8 > 10: cut to (10 - 1) / 2, as Timings.adjust does
    assertThat(target.withRetryTimeout(8).timings().retryTimeout())
        .isEqualTo(Duration.ofSeconds(Timings.adjust(10, 10, 8).retryTimeout()))
        .isEqualTo(Duration.ofSeconds(4));
    assertThat(target.withRetryTimeout(8).timings().ttl()).isEqualTo(Duration.ofSeconds(10));
  }
}
