package io.pgregent.core.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;

/**
 * The dynamic {@code standby_cluster} section, read once: where the standby leader takes its data
 * from. A cluster is a standby cluster when it names a host, a port or a restore_command.
 *
 * @param hosts {@code host}, split on commas (libpq tries them in order)
 * @param port {@code port}, when set
 * @param primarySlotName {@code primary_slot_name} on the remote primary, when set
 * @param createReplicaMethods how the standby leader is cloned; empty for the member's own methods
 * @param restoreCommand {@code restore_command} for every member of the standby cluster
 * @param archiveCleanupCommand {@code archive_cleanup_command}, likewise
 * @param recoveryMinApplyDelay {@code recovery_min_apply_delay} of the standby leader, as written
 */
public record StandbyCluster(
    List<String> hosts,
    OptionalInt port,
    Optional<String> primarySlotName,
    List<String> createReplicaMethods,
    Optional<String> restoreCommand,
    Optional<String> archiveCleanupCommand,
    Optional<String> recoveryMinApplyDelay) {

  public StandbyCluster {
    hosts = List.copyOf(hosts);
    Objects.requireNonNull(port, "port");
    createReplicaMethods = List.copyOf(createReplicaMethods);
  }

  /** Reads a section that {@link DynamicConfig} has validated. */
  static StandbyCluster of(JsonNode s) {
    List<String> hosts = new ArrayList<>();
    text(s, "host")
        .ifPresent(
            h ->
                Arrays.stream(h.split(","))
                    .map(String::strip)
                    .filter(x -> !x.isEmpty())
                    .forEach(hosts::add));
    OptionalInt port =
        text(s, "port")
            .filter(p -> p.matches("\\d{1,5}"))
            .map(p -> OptionalInt.of(Integer.parseInt(p)))
            .orElse(OptionalInt.empty());
    List<String> methods = new ArrayList<>();
    JsonNode m = s.get("create_replica_methods");
    if (m != null && m.isArray()) {
      m.forEach(x -> methods.add(x.asText()));
    }
    return new StandbyCluster(
        hosts,
        port,
        text(s, "primary_slot_name"),
        methods,
        text(s, "restore_command"),
        text(s, "archive_cleanup_command"),
        text(s, "recovery_min_apply_delay"));
  }

  /** Whether the standby leader streams (a host or port is named), not only restores. */
  public boolean streams() {
    return !hosts.isEmpty() || port.isPresent();
  }

  /**
   * What the standby leader follows, as one string: a member that follows another source (or the
   * same source differently) must configure itself again.
   */
  public String source() {
    return "standby_cluster:"
        + String.join(",", hosts)
        + ":"
        + (port.isPresent() ? port.getAsInt() : "")
        + "/"
        + primarySlotName.orElse("")
        + "/"
        + restoreCommand.orElse("")
        + "/"
        + archiveCleanupCommand.orElse("")
        + "/"
        + recoveryMinApplyDelay.orElse("");
  }

  private static Optional<String> text(JsonNode s, String field) {
    JsonNode v = s.get(field);
    if (v == null || v.isNull() || v.isMissingNode() || !v.isValueNode()) {
      return Optional.empty();
    }
    String t = v.asText().strip();
    return t.isEmpty() ? Optional.empty() : Optional.of(t);
  }
}
