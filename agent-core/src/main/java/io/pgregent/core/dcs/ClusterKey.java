package io.pgregent.core.dcs;

/** The single-valued keys of a cluster, with their paths relative to the cluster prefix. */
public enum ClusterKey {
  INITIALIZE("initialize"),
  CONFIG("config"),
  LEADER("leader"),
  STATUS("status"),
  /** Written for agents older than Patroni 2.1, which do not read {@code status}. */
  OPTIME_LEADER("optime/leader"),
  HISTORY("history"),
  FAILOVER("failover"),
  SYNC("sync"),
  FAILSAFE("failsafe"),
  /**
   * Regent's own: the highest timeline number a promotion took (recorded before it ran). Patroni's
   * readers ignore keys they do not know.
   */
  TAKEN_TIMELINE("regent-timeline");

  /** The folder holding one key per member. */
  public static final String MEMBERS_DIR = "members/";

  /**
   * Whether a change of a key should wake the HA loop at once rather than wait for loop_wait: the
   * lock, the configuration, requests and the synchronous state, and members joining or leaving.
   * Routine writes (the leader's {@code status} each cycle, a member's changing WAL position) do
   * not: they would wake every loop, the writer's own included, over and over.
   *
   * @param relativePath the key relative to the cluster prefix
   * @param createdOrDeleted the change created or deleted the key
   */
  public static boolean wakesTheLoop(String relativePath, boolean createdOrDeleted) {
    if (relativePath.startsWith(MEMBERS_DIR)) {
      return createdOrDeleted;
    }
    return relativePath.equals(LEADER.path)
        || relativePath.equals(CONFIG.path)
        || relativePath.equals(FAILOVER.path)
        || relativePath.equals(SYNC.path)
        || relativePath.equals(INITIALIZE.path);
  }

  private final String path;

  ClusterKey(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
