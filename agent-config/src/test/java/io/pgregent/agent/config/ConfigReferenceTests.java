package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/** docs/configuration.md is the configuration table as the loader has it. */
class ConfigReferenceTests {

  private static final Path DOC =
      Path.of("").toAbsolutePath().getParent().resolve("docs/configuration.md");

  @Test
  void theReferenceIsUpToDate() throws IOException {
    String expected = ConfigReference.markdown();
    if (Boolean.getBoolean("regent.docs.write")) {
      Files.writeString(DOC, expected);
    }
    assertThat(DOC).exists();
    assertThat(Files.readString(DOC))
        .as(
            "docs/configuration.md is stale; regenerate it with ./mvnw -B -pl agent-config -am test"
                + " -Dtest=ConfigReferenceTests -Dregent.docs.write=true"
                + " -Dsurefire.failIfNoSpecifiedTests=false")
        .isEqualTo(expected);
  }

  @Test
  void everyKeyTheLoaderUsesIsDocumented() throws IOException {
    String doc = ConfigReference.markdown();
    for (var e : ConfigKeys.all().entrySet()) {
      if (e.getValue().status() != ConfigKeys.Status.DYNAMIC_AT_ROOT) {
        assertThat(doc).contains("| `" + e.getKey() + "` |");
      }
    }
    assertThat(doc).contains("| `log.type` | one of `plain`, `json` | used |");
  }
}
