package io.pgregent.postgres;

import io.pgregent.postgres.config.Credentials;
import io.pgregent.postgres.config.PostgresSettings;
import io.pgregent.postgres.config.RemotePrimary;
import io.pgregent.postgres.config.StandbySettings;

/** How this member connects to the member it replicates from. */
final class Upstream {

  private final java.util.function.Supplier<PostgresSettings> settings;
  private final ServerConfiguration config;

  /** Tag {@code nostream}: a replica recovers from the archive only, without primary_conninfo. */
  private volatile boolean nostream;

  /**
   * @param settings the settings in force (they change on a reload)
   */
  Upstream(java.util.function.Supplier<PostgresSettings> settings, ServerConfiguration config) {
    this.settings = settings;
    this.config = config;
  }

  void nostream(boolean value) {
    nostream = value;
  }

  /** In a standby cluster, the primary it follows; else null. */
  private volatile RemotePrimary remote;

  void remote(RemotePrimary value) {
    remote = value;
  }

  RemotePrimary remote() {
    return remote;
  }

  /** Writes the standby settings that follow {@code leader} (the server is not signalled). */
  void follow(LeaderConnection leader) {
    RemotePrimary r = remote;
    boolean toRemote = r != null && RemotePrimary.isRemote(leader);
    java.util.Map<String, String> recovery = r == null ? java.util.Map.of() : r.recovery(toRemote);
    if (nostream || toRemote && !r.streams()) {
      // WAL comes from the archive (restore_command) only.
      config.standby(new StandbySettings("", null, recovery));
    } else if (toRemote) {
      // The remote primary keeps the slot it was told to keep, if any: never our member slot.
      config.standby(
          new StandbySettings(
              conninfo(leader, settings.get().replication(), false),
              r.primarySlotName(),
              recovery));
    } else {
      String slot = config.dynamic().useSlots() ? SlotNames.forMember(settings.get().name()) : null;
      config.standby(
          new StandbySettings(
              conninfo(leader, settings.get().replication(), false), slot, recovery));
    }
    config.write();
  }

  /** A libpq connection string to {@code to} (no password: libpq reads the passfile). */
  String conninfo(LeaderConnection to, Credentials cred, boolean withDbname) {
    StringBuilder sb = new StringBuilder();
    sb.append("host=").append(conninfoValue(to.host()));
    sb.append(" port=").append(to.port());
    sb.append(" user=").append(conninfoValue(cred.username()));
    sb.append(" passfile=").append(conninfoValue(settings.get().pgpass().toString()));
    sb.append(" application_name=").append(conninfoValue(settings.get().name()));
    cred.parameters()
        .forEach((k, v) -> sb.append(' ').append(k).append('=').append(conninfoValue(v)));
    if (withDbname) {
      sb.append(" dbname=postgres");
    }
    return sb.toString();
  }

  private static String conninfoValue(String v) {
    if (!v.isEmpty() && v.chars().noneMatch(c -> c == ' ' || c == '\'' || c == '\\')) {
      return v;
    }
    return "'" + v.replace("\\", "\\\\").replace("'", "\\'") + "'";
  }
}
