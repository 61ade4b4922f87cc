package io.pgregent.e2e;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * Where Patroni 4.1 from PyPI is: {@code $PATRONI41_HOME} (set by {@code ./test.sh}), else the
 * virtualenv {@code .ci/patroni.sh} caches for this machine (same rule as the script).
 */
final class Patroni41 {

  static final String VERSION = "4.1.5";

  private Patroni41() {}

  static Optional<Path> home() {
    String env = System.getenv("PATRONI41_HOME");
    if (env != null && !env.isBlank()) {
      return usable(Path.of(env));
    }
    return usable(cacheRoot().resolve("patroni-" + VERSION));
  }

  private static Optional<Path> usable(Path home) {
    return Files.isExecutable(home.resolve("bin/patronictl"))
            && Files.isExecutable(home.resolve("bin/patroni"))
        ? Optional.of(home)
        : Optional.empty();
  }

  private static Path cacheRoot() {
    String regent = System.getenv("REGENT_CACHE");
    if (regent != null && !regent.isBlank()) {
      return Path.of(regent);
    }
    if ("root".equals(System.getProperty("user.name"))) {
      return Path.of("/var/cache/regent");
    }
    String xdg = System.getenv("XDG_CACHE_HOME");
    return (xdg != null && !xdg.isBlank()
            ? Path.of(xdg)
            : Path.of(System.getProperty("user.home"), ".cache"))
        .resolve("regent");
  }

  /** Null when Patroni 4.1 is here, else why not (quoting a failed install). */
  static String unavailableReason() {
    if (home().isPresent()) {
      return null;
    }
    String why = "";
    Path failed = cacheRoot().resolve("patroni-" + VERSION + "-install-failed.txt");
    if (Files.isReadable(failed)) {
      try {
        why = " The last install said: " + Files.readString(failed, StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        why = "";
      }
    }
    return "no Patroni "
        + VERSION
        + " virtualenv: no $PATRONI41_HOME and none in "
        + cacheRoot()
        + ". ./test.sh installs it from PyPI with .ci/patroni.sh; run it once."
        + why;
  }

  /**
   * A patronictl configuration for {@code scope} on the etcd at {@code etcdPort}, in {@code dir}.
   */
  static Path ctlConfig(Path dir, String scope, int etcdPort) throws IOException {
    Path file = dir.resolve("patronictl41-" + scope + ".yml");
    Files.writeString(
        file,
        "scope: "
            + scope
            + "\nnamespace: /service/\netcd3:\n  hosts: 127.0.0.1:"
            + etcdPort
            + "\n");
    return file;
  }

  static Path patronictl() {
    return home().orElseThrow().resolve("bin/patronictl");
  }

  static Path patroni() {
    return home().orElseThrow().resolve("bin/patroni");
  }
}
