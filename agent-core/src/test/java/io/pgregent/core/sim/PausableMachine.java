package io.pgregent.core.sim;

import io.pgregent.core.ha.Action;
import java.time.Duration;

/**
 * What both kinds of simulated machine share: the machine's PostgreSQL, clocks and fence, its
 * agent's process, and the process faults (freeze, stall, a pause armed after an action, clock
 * drift and jumps). The agent itself (a model cycle or the agent's own loop) is the subclass's.
 */
public abstract class PausableMachine implements SimMachine {

  protected final String name;
  protected final SimCluster world;
  protected final PgModel pg;
  // This machine's clocks: the monotonic one runs ppm fast (negative: slow), the wall one is off.
  protected final DriftingClock clock;
  protected final SimFence fence;
  protected boolean up = true;
  // Frozen (SIGSTOP: every thread, REST included), or the loop stalled (the lease guard and REST
  // still run).
  protected boolean frozen;
  protected boolean stalled;
  // The agent's process: its threads freeze and die with it.
  protected SimThreads.Process process;
  private long pauseToken;
  private Class<? extends Action> pauseAfter;
  private boolean pauseFreezes;
  private Duration pauseLasts;

  protected PausableMachine(String name, SimCluster world) {
    this.name = name;
    this.world = world;
    this.pg = new PgModel(name);
    this.clock = new DriftingClock(world.sim);
    this.fence = new SimFence(world.sim, clock, pg, name, () -> up && frozen);
  }

  @Override
  public String name() {
    return name;
  }

  @Override
  public PgModel pg() {
    return pg;
  }

  @Override
  public boolean up() {
    return up;
  }

  /** Answers HTTP: up and not frozen. */
  @Override
  public boolean answers() {
    return up && !frozen;
  }

  /**
   * SIGSTOP: the loop, the REST API and the lease guard stop; PostgreSQL and the fence go on.
   * Returns the token {@link #resume(long)} takes.
   */
  @Override
  public long freeze() {
    frozen = true;
    if (process != null) {
      process.freeze();
    }
    return ++pauseToken;
  }

  /** The loop stops between two steps; the REST API and the lease guard go on. */
  @Override
  public long stall() {
    stalled = true;
    return ++pauseToken;
  }

  /** Ends the freeze or stall {@code token} began, unless a later one began since. */
  @Override
  public void resume(long token) {
    if (token == pauseToken) {
      resume();
    }
  }

  /** SIGCONT, or the stalled step returns: the guard catches up first, then the loop. */
  @Override
  public void resume() {
    boolean wasFrozen = frozen;
    frozen = false;
    stalled = false;
    if (!up) {
      return;
    }
    if (wasFrozen && process != null) {
      process.thaw();
    }
    resumed();
  }

  /** The loop may go on (after {@link #resume()} of a running machine). */
  protected abstract void resumed();

  /**
   * The next time this agent has executed an action of {@code kind}, it freezes (or its loop
   * stalls) for {@code lasts}: the windows between a decision's facts and the next action.
   */
  @Override
  public void pauseAfterNext(Class<? extends Action> kind, boolean freeze, Duration lasts) {
    pauseAfter = kind;
    pauseFreezes = freeze;
    pauseLasts = lasts;
  }

  /** Pauses the agent if a pause is armed after {@code done}; returns whether it did. */
  protected boolean pauseIfArmed(Class<? extends Action> done) {
    if (pauseAfter == null || !pauseAfter.equals(done)) {
      return false;
    }
    pauseAfter = null;
    world.sim.trace(
        "fault: "
            + (pauseFreezes ? "freeze " : "stall the loop of ")
            + name
            + " after "
            + done.getSimpleName()
            + " for "
            + pauseLasts);
    long token = pauseFreezes ? freeze() : stall();
    world.sim.schedule(pauseLasts, "resume " + name, () -> resume(token));
    return true;
  }

  /** The machine dies: no pause it had armed or begun survives. */
  protected void forgetPauses() {
    frozen = false;
    stalled = false;
    pauseAfter = null;
  }

  @Override
  public void drift(long ppm) {
    clock.drift(ppm);
  }

  @Override
  public void jumpWallClock(long millis) {
    clock.jumpWall(millis);
  }
}
