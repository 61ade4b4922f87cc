package io.pgregent.postgres;

/** What {@link PostgresController#rewind} did. */
public enum RewindOutcome {
  /** The timelines had not diverged: nothing was changed besides the configuration. */
  NOT_NEEDED,
  REWOUND,
  RECLONED
}
