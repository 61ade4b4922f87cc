package io.pgregent.postgres;

import io.pgregent.postgres.config.DynamicPostgresConfig;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

/**
 * A test class's servers: one base directory, one scheduler, and the controllers made from them.
 * Closing stops every controller (the newest first: replicas before the primaries they follow), the
 * scheduler, and deletes the directory.
 */
final class TestCluster implements AutoCloseable {

  final Path base;
  final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
  private final Deque<PostgresController> controllers = new ArrayDeque<>();

  TestCluster(String dirPrefix) {
    base = PostgresTestEnvironment.newBaseDir(dirPrefix);
  }

  /** Settings of member {@code name} in {@code scope}, with its data under the base directory. */
  PostgresSettings.Builder node(String scope, String name) {
    return TestNodes.node(base, scope, name);
  }

  /** A controller for {@code settings} configured with {@link TestNodes#DYNAMIC}. */
  PostgresController controller(PostgresSettings settings) {
    return controller(settings, TestNodes.DYNAMIC);
  }

  PostgresController controller(PostgresSettings settings, DynamicPostgresConfig dynamic) {
    PostgresController c = new PostgresController(settings, scheduler);
    controllers.push(c);
    c.configure(dynamic);
    return c;
  }

  @Override
  public void close() {
    while (!controllers.isEmpty()) {
      TestNodes.stopQuietly(controllers.pop());
    }
    scheduler.shutdownNow();
    PostgresTestEnvironment.deleteTree(base);
  }
}
