package io.pgregent.postgres.fence;

import io.pgregent.postgres.os.OsUser;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * A stand-in agent run in its own JVM, so that a test can kill it with SIGKILL: starts or adopts
 * the fence, announces its pid, then sends a keep-alive every 200 ms until killed.
 *
 * <p>Arguments: state directory, data directory, the remaining time each keep-alive announces (ms).
 */
public final class FenceAgentMain {

  private FenceAgentMain() {}

  public static void main(String[] args) throws InterruptedException {
    OsUser user = OsUser.resolve(PostgresTestEnvironment.osUser());
    FenceProcess fence = FenceProcess.startOrAdopt(Path.of(args[0]), Path.of(args[1]), user);
    Duration remaining = Duration.ofMillis(Long.parseLong(args[2]));
    fence.keepAlive(remaining);
    System.out.println("fence " + fence.pid());
    System.out.flush();
    ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
    scheduler.scheduleAtFixedRate(
        () -> fence.keepAlive(remaining), 200, 200, TimeUnit.MILLISECONDS);
    new CountDownLatch(1).await();
  }
}
