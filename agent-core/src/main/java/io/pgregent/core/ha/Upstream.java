package io.pgregent.core.ha;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import java.util.Comparator;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * Where a replica gets its data from, as the member tags ask: {@code replicatefrom} names the
 * member to stream from (the leader when that member is not in the cluster or has no address);
 * {@code clonefrom} marks running members a new replica may take its base backup from instead of
 * the leader.
 */
public final class Upstream {

  private static final Set<String> TRUE = Set.of("true", "yes", "on", "y", "t", "1");

  private Upstream() {}

  /** The member this replica streams from. */
  public static String toFollow(ClusterView view, HaSettings s, String leader) {
    String from = s.replicatefrom();
    if (from == null || s.nostream() || from.equals(s.member()) || from.equals(leader)) {
      return leader;
    }
    return view.member(from).filter(m -> m.connUrl().isPresent()).map(Member::name).orElse(leader);
  }

  /**
   * The member a new replica clones: a running member tagged {@code clonefrom} other than the
   * leader (the first by name, so every cycle picks the same), else the leader.
   */
  public static String toClone(ClusterView view, HaSettings s, String leader) {
    return view.members().values().stream()
        .filter(m -> !m.name().equals(s.member()) && !m.name().equals(leader))
        .filter(m -> tag(m, "clonefrom"))
        .filter(m -> m.state().map("running"::equals).orElse(false))
        .filter(m -> m.connUrl().isPresent())
        .map(Member::name)
        .min(Comparator.naturalOrder())
        .orElse(leader);
  }

  /** Whether a member's boolean tag is set, in any form Patroni accepts in a configuration. */
  public static boolean tag(Member m, String name) {
    JsonNode v = m.tags().get(name);
    if (v == null || v.isNull()) {
      return false;
    }
    if (v.isBoolean()) {
      return v.booleanValue();
    }
    if (v.isNumber()) {
      return v.doubleValue() != 0;
    }
    return TRUE.contains(v.asText().trim().toLowerCase(Locale.ROOT));
  }

  /** The name of the member {@code m} streams from as its tags say, if it names one. */
  public static Optional<String> replicatefrom(Member m) {
    JsonNode v = m.tags().get("replicatefrom");
    return v == null || v.isNull() || v.asText().isEmpty()
        ? Optional.empty()
        : Optional.of(v.asText());
  }
}
