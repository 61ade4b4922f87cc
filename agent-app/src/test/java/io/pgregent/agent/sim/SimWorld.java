package io.pgregent.agent.sim;

import io.pgregent.core.sim.PgModel;
import java.util.List;

/** What one member's simulated PostgreSQL needs from the rest of the simulated world. */
public interface SimWorld {

  /** Another member's PostgreSQL, or null for a name the world does not know. */
  PgModel pg(String member);

  /** The running standbys streaming from {@code member} now. */
  List<PgModel> standbysOf(String member);

  /** A fresh system identifier, for a bootstrap. */
  String newSystemId();

  /** Records a promotion to {@code timeline} (a number created before is a finding). */
  void timelineCreated(long timeline, String member);

  /**
   * The calling thread (one of the member's simulated threads) spends simulated time: a number of
   * milliseconds drawn from the run's random source between {@code minMillis} and {@code
   * maxMillis}. Throws {@link InterruptedException} when the thread is interrupted meanwhile.
   */
  void spend(long minMillis, long maxMillis) throws InterruptedException;

  /** A command named {@code program} just landed (a fault may be armed to pause right after). */
  default void landed(String program) {}

  /** One line of the run's trace. */
  void trace(String line);
}
