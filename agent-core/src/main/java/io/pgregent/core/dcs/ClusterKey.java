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
  FAILSAFE("failsafe");

  /** The folder holding one key per member. */
  public static final String MEMBERS_DIR = "members/";

  private final String path;

  ClusterKey(String path) {
    this.path = path;
  }

  public String path() {
    return path;
  }
}
