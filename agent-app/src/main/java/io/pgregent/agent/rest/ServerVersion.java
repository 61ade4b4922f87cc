package io.pgregent.agent.rest;

import io.pgregent.postgres.PostgresPort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.OptionalInt;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.springframework.stereotype.Component;

/**
 * PostgreSQL's {@code server_version_num} as Patroni reports it ({@code 150018}), read once from
 * {@code postgres --version} so that no status answer waits on it.
 */
@Component
public class ServerVersion {

  private static final Pattern VERSION = Pattern.compile("(\\d+)(?:\\.(\\d+))?(?:\\.(\\d+))?");

  private final OptionalInt number;

  public ServerVersion(PostgresPort postgres) {
    this.number = read(postgres);
  }

  /** The version number, empty when the binaries could not tell. */
  public OptionalInt number() {
    return number;
  }

  private static OptionalInt read(PostgresPort postgres) {
    try {
      Process p =
          new ProcessBuilder(postgres.binaries().postgres().toString(), "--version")
              .redirectErrorStream(true)
              .start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(5, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        return OptionalInt.empty();
      }
      return parse(out);
    } catch (IOException | RuntimeException e) {
      return OptionalInt.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return OptionalInt.empty();
    }
  }

  /** {@code postgres (PostgreSQL) 15.8 (Debian ...)} → 150008; 9.6.24 → 90624. */
  static OptionalInt parse(String versionOutput) {
    int paren = versionOutput.indexOf(')');
    Matcher m = VERSION.matcher(paren < 0 ? versionOutput : versionOutput.substring(paren + 1));
    if (!m.find()) {
      return OptionalInt.empty();
    }
    int major = Integer.parseInt(m.group(1));
    int second = m.group(2) == null ? 0 : Integer.parseInt(m.group(2));
    if (major >= 10) {
      return OptionalInt.of(major * 10000 + second);
    }
    int third = m.group(3) == null ? 0 : Integer.parseInt(m.group(3));
    return OptionalInt.of(major * 10000 + second * 100 + third);
  }
}
