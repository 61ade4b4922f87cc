package io.pgregent.agent.config;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** Configuration texts for the tests (of this module and of the agent's). */
public final class ConfigFixtures {

  /** The {@code postgresql.authentication} section of {@link #MINIMAL}, as it stands there. */
  public static final String AUTHENTICATION =
      """
        authentication:
          superuser:
            username: postgres
            password: super-pass
          replication:
            username: replicator
            password: repl-pass
      """;

  /** The smallest valid configuration. */
  public static final String MINIMAL =
      """
      scope: batman
      name: pg1
      restapi:
        listen: 127.0.0.1:8008
        connect_address: 10.0.0.11:8008
      etcd3:
        hosts: 10.0.0.1:2379
      postgresql:
        listen: 127.0.0.1:5432
        connect_address: 10.0.0.11:5432
        data_dir: /data/pg1
      """
          + ConfigFixtures.AUTHENTICATION;

  private ConfigFixtures() {}

  /** MINIMAL with {@code lines} added to its {@code restapi:} section. */
  public static String withRestapi(String lines) {
    return withLinesAfter("  connect_address: 10.0.0.11:8008\n", lines);
  }

  /** MINIMAL with {@code lines} added to its {@code postgresql:} section. */
  public static String withPostgresql(String lines) {
    return withLinesAfter("  data_dir: /data/pg1\n", lines);
  }

  private static String withLinesAfter(String line, String lines) {
    if (!MINIMAL.contains(line)) {
      throw new IllegalArgumentException("not in MINIMAL: " + line);
    }
    return MINIMAL.replace(line, line + lines);
  }

  static String resource(String name) {
    try (InputStream in = ConfigFixtures.class.getResourceAsStream("/config/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Path write(Path dir, String fileName, String text) {
    try {
      Path p = dir.resolve(fileName);
      Files.writeString(p, text);
      return p;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
