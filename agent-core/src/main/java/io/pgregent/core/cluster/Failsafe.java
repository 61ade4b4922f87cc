package io.pgregent.core.cluster;

import java.util.Map;

/**
 * The {@code failsafe} key: every member the leader knew, with its REST API URL.
 *
 * @param members member name to {@code api_url}
 * @param version the store's version of the key
 */
public record Failsafe(Map<String, String> members, long version) {
  public Failsafe {
    members = Map.copyOf(members);
  }
}
