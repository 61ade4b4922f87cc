package io.pgregent.core.sim;

import io.pgregent.core.ha.Action;
import java.time.Duration;

/**
 * One machine of a simulated cluster: its agent (the model cycle of {@link SimAgent}, or the
 * agent's own loop) and its PostgreSQL, with the faults a schedule lands on it.
 */
public interface SimMachine {

  String name();

  /** Its PostgreSQL, which outlives the agent's crashes. */
  PgModel pg();

  /** The machine runs (not crashed). */
  boolean up();

  /** What the agent believes: it holds the leader lock, or leads in failsafe mode. */
  boolean believesLeader();

  /** Its REST API answers: up and not frozen. */
  boolean answers();

  /** Starts the agent's first cycle {@code delayNanos} from now. */
  void start(long delayNanos);

  /** A watch fired: the agent's wait for a change ends after {@code deliveryNanos}. */
  void wakeIfChanged(long deliveryNanos);

  /** The machine dies: agent and PostgreSQL with it; the lease runs out in the store. */
  void crash();

  /** The machine is back: a fresh agent process, PostgreSQL still down. */
  void restart();

  /**
   * SIGSTOP: the loop, the REST API and the lease guard stop; PostgreSQL and the fence go on.
   * Returns the token {@link #resume(long)} takes.
   */
  long freeze();

  /** The loop stops between two steps; the REST API and the lease guard go on. */
  long stall();

  /** Ends the freeze or stall {@code token} began, unless a later one began since. */
  void resume(long token);

  /** Ends any freeze or stall. */
  void resume();

  /**
   * The next time the agent has executed an action of {@code kind}, it freezes (or its loop stalls)
   * for {@code lasts}.
   */
  void pauseAfterNext(Class<? extends Action> kind, boolean freeze, Duration lasts);

  /** Its store calls take up to 1 s each way for {@code lasts}. */
  void slowStore(Duration lasts);

  /** Its monotonic clock runs {@code ppm} fast (negative: slow). */
  void drift(long ppm);

  void jumpWallClock(long millis);
}
