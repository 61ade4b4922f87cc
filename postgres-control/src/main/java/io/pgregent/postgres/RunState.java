package io.pgregent.postgres;

/** Whether the local postmaster runs. */
public enum RunState {
  /** Not running, and not expected to. */
  STOPPED,
  /** A live postmaster owns the data directory. */
  RUNNING,
  /**
   * Not running although it should be: it died after Regent started or adopted it, or it left a
   * stale {@code postmaster.pid} behind (unclean shutdown).
   */
  CRASHED
}
