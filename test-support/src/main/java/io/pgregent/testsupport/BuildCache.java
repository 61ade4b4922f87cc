package io.pgregent.testsupport;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

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

  /**
   * The executable named by {@code $env}, else {@code name} in the build {@code dir}, else (when
   * {@code onPath}) {@code name} in a directory of {@code $PATH}.
   */
  static Optional<Path> executable(String env, Path dir, String name, boolean onPath) {
    String named = System.getenv(env);
    if (named != null && !named.isBlank() && Files.isExecutable(Path.of(named))) {
      return Optional.of(Path.of(named));
    }
    Path cached = dir.resolve(name);
    if (Files.isExecutable(cached)) {
      return Optional.of(cached);
    }
    if (onPath) {
      for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
        Path p = Path.of(d, name);
        if (Files.isExecutable(p)) {
          return Optional.of(p);
        }
      }
    }
    return Optional.empty();
  }

  /**
   * Null when {@code executable} is present, else {@code missing} followed by what the last failed
   * build in {@code dir} said.
   */
  static String unavailableReason(Optional<Path> executable, Path dir, String missing) {
    return executable.isPresent() ? null : missing + lastFailure(dir);
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
