package io.pgregent.core.cluster;

import java.time.OffsetDateTime;

/**
 * The {@code failover} key: a requested switchover or failover. {@code {}} means none.
 *
 * @param leader the member that must be the leader for the request to apply, or null
 * @param candidate the member to promote ({@code member} in JSON), or null for the best one
 * @param scheduledAt when to act, or null for now
 * @param version the store's version of the key
 */
public record Failover(String leader, String candidate, OffsetDateTime scheduledAt, long version) {

  /** True for the cleared value {@code {}}. */
  public boolean isEmpty() {
    return leader == null && candidate == null && scheduledAt == null;
  }
}
