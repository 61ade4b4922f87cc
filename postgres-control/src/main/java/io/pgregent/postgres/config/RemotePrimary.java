package io.pgregent.postgres.config;

import io.pgregent.postgres.LeaderConnection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The primary a standby cluster follows ({@code standby_cluster}): its standby leader streams from
 * it or restores its archive; every member of the standby cluster restores with its commands.
 *
 * @param hosts {@code host}, comma-separated as libpq takes it; empty for the local default
 * @param port {@code port}, 0 for the default
 * @param primarySlotName the slot the standby leader streams through, or null
 * @param createReplicaMethods how the standby leader is cloned; empty for the member's own methods
 * @param restoreCommand {@code restore_command}, or null
 * @param archiveCleanupCommand {@code archive_cleanup_command}, or null
 * @param recoveryMinApplyDelay {@code recovery_min_apply_delay} of the standby leader, or null
 */
public record RemotePrimary(
    String hosts,
    int port,
    String primarySlotName,
    List<String> createReplicaMethods,
    String restoreCommand,
    String archiveCleanupCommand,
    String recoveryMinApplyDelay) {

  /** The name the remote primary goes by where a member name is expected (logs, callbacks). */
  public static final String NAME = "remote_member";

  public RemotePrimary {
    hosts = hosts == null ? "" : hosts;
    createReplicaMethods = List.copyOf(createReplicaMethods);
  }

  /** Whether the standby leader streams from it (a host or port is named). */
  public boolean streams() {
    return !hosts.isEmpty() || port > 0;
  }

  /** Where to reach it, as a member to follow or clone. */
  public LeaderConnection connection() {
    return new LeaderConnection(
        NAME, hosts.isEmpty() ? "localhost" : hosts, port > 0 ? port : 5432);
  }

  public static boolean isRemote(LeaderConnection c) {
    return c != null && NAME.equals(c.name());
  }

  /** The recovery parameters of a member of the standby cluster; {@code leader}: its leader. */
  public Map<String, String> recovery(boolean leader) {
    Map<String, String> out = new LinkedHashMap<>();
    if (restoreCommand != null) {
      out.put("restore_command", restoreCommand);
    }
    if (archiveCleanupCommand != null) {
      out.put("archive_cleanup_command", archiveCleanupCommand);
    }
    if (leader && recoveryMinApplyDelay != null) {
      out.put("recovery_min_apply_delay", recoveryMinApplyDelay);
    }
    return out;
  }
}
