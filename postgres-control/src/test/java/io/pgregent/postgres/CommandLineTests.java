package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class CommandLineTests {

  @Test
  void splitsLikeAShell() {
    assertThat(CommandLine.split("/usr/bin/backup  --type='full x' \"a \\\"b\\\"\" c\\ d"))
        .containsExactly("/usr/bin/backup", "--type=full x", "a \"b\"", "c d");
  }

  @Test
  void rejectsUnbalancedQuotes() {
    assertThatThrownBy(() -> CommandLine.split("echo 'oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unbalanced quote");
  }
}
