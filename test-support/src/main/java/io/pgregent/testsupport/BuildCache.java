package io.pgregent.testsupport;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Where the {@code .ci/*.sh} scripts keep the servers they build, by the scripts' own rule. */
final class BuildCache {

  private BuildCache() {}

  /** {@code $REGENT_CACHE}, else {@code $XDG_CACHE_HOME/regent}, else {@code ~/.cache/regent}. */
  static Path dir(String build) {
    String regent = System.getenv("REGENT_CACHE");
    Path root;
    if (regent != null && !regent.isBlank()) {
      root = Path.of(regent);
    } else {
      String xdg = System.getenv("XDG_CACHE_HOME");
      root =
          (xdg != null && !xdg.isBlank()
                  ? Path.of(xdg)
                  : Path.of(System.getProperty("user.home"), ".cache"))
              .resolve("regent");
    }
    return root.resolve(build);
  }

  /** What the last failed build in {@code dir} said, as a sentence to append, or "". */
  static String lastFailure(Path dir) {
    Path failed = dir.resolve("build-failed.txt");
    if (Files.isReadable(failed)) {
      try {
        return " The last build said: " + Files.readString(failed, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        return "";
      }
    }
    return "";
  }
}
