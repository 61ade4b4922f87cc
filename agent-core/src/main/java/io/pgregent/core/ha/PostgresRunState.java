package io.pgregent.core.ha;

/** What the local PostgreSQL is doing, as the agent last saw it. */
public enum PostgresRunState {
  /** The data directory is missing or empty: nothing to start. */
  NO_DATA,
  /** A data directory exists and no postmaster runs on it. */
  STOPPED,
  /** The postmaster runs but does not accept connections yet. */
  STARTING,
  /** Accepting connections. */
  RUNNING,
  /** The postmaster died without being asked to stop. */
  CRASHED
}
