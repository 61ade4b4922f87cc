package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ClusterPathTests {

  @ParameterizedTest
  @CsvSource({
    "/service, /service/batman/",
    "service, /service/batman/",
    "/service/, /service/batman/",
    "//a//b/, /a/b/batman/",
    "'', /service/batman/"
  })
  void namespacesAreNormalisedAsPatroniDoes(String namespace, String prefix) {
    assertThat(ClusterPath.of(namespace, "batman").prefix()).isEqualTo(prefix);
  }

  @Test
  void keysAndMembersAreUnderThePrefix() {
    ClusterPath p = ClusterPath.of(null, "batman");
    assertThat(p.key(ClusterKey.OPTIME_LEADER)).isEqualTo("/service/batman/optime/leader");
    assertThat(p.memberKey("pg0")).isEqualTo("/service/batman/members/pg0");
    assertThat(p.relative("/service/batman/leader")).isEqualTo("leader");
    assertThat(p.relative("/service/other/leader")).isNull();
  }

  @Test
  void aScopeWithASlashIsRefused() {
    assertThatThrownBy(() -> ClusterPath.of(null, "a/b")).hasMessageContaining("scope");
    assertThatThrownBy(() -> ClusterPath.of(null, " ")).hasMessageContaining("scope");
  }
}
