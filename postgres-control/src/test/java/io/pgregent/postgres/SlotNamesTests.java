package io.pgregent.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class SlotNamesTests {

  @Test
  void lowerCasesAndMapsDashAndDotToUnderscore() {
    assertThat(SlotNames.forMember("Node-1.dc2")).isEqualTo("node_1_dc2");
  }

  @Test
  void encodesOtherCharactersAsTheirDecimalCodePoint() {
    assertThat(SlotNames.forMember("a b")).isEqualTo("au0032b");
    assertThat(SlotNames.forMember("pg@x")).isEqualTo("pgu0064x");
    assertThat(SlotNames.forMember("ü")).isEqualTo("u0252");
  }

  @Test
  void truncatesTo63Characters() {
    String name = "m".repeat(70);
    assertThat(SlotNames.forMember(name)).hasSize(63).isEqualTo("m".repeat(63));
  }
}
