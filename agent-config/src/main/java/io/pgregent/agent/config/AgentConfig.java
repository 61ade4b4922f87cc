package io.pgregent.agent.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.postgres.config.PostgresSettings;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The agent's local configuration, loaded from Patroni's YAML (and {@code PATRONI_*} variables) and
 * validated.
 *
 * @param scope the cluster name
 * @param namespace the key prefix in the store, null for the default
 * @param name this member's name
 * @param restapi the {@code restapi:} section
 * @param postgresql the {@code postgresql:} section with the bootstrap parts that concern it
 * @param bootstrapDcs {@code bootstrap.dcs}: the dynamic configuration a new cluster starts with,
 *     as it will be written to the store ({@code {}} when absent)
 * @param tags the {@code tags:} section
 * @param properties every setting as a flat {@code a.b.c} key, for Spring's property binding (the
 *     store starters bind their section from these)
 * @param lease the {@code watchdog:} and {@code regent.fence:} sections
 * @param log the {@code log:} section
 */
public record AgentConfig(
    String scope,
    String namespace,
    String name,
    RestApiSettings restapi,
    PostgresSettings postgresql,
    ObjectNode bootstrapDcs,
    Tags tags,
    Map<String, Object> properties,
    LeaseSettings lease,
    LogSettings log) {

  public AgentConfig {
    Objects.requireNonNull(scope, "scope");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(restapi, "restapi");
    Objects.requireNonNull(postgresql, "postgresql");
    Objects.requireNonNull(bootstrapDcs, "bootstrapDcs");
    Objects.requireNonNull(tags, "tags");
    Objects.requireNonNull(lease, "lease");
    Objects.requireNonNull(log, "log");
    properties = Map.copyOf(properties);
  }

  /**
   * With the default watchdog and fence settings and Patroni's default logging (as when their
   * sections are absent).
   */
  public AgentConfig(
      String scope,
      String namespace,
      String name,
      RestApiSettings restapi,
      PostgresSettings postgresql,
      ObjectNode bootstrapDcs,
      Tags tags,
      Map<String, Object> properties) {
    this(
        scope,
        namespace,
        name,
        restapi,
        postgresql,
        bootstrapDcs,
        tags,
        properties,
        LeaseSettings.defaults(postgresql.dataDir()),
        LogSettings.DEFAULT);
  }

  /** The same configuration with other REST API settings. */
  public AgentConfig withRestapi(RestApiSettings restapi) {
    return new AgentConfig(
        scope, namespace, name, restapi, postgresql, bootstrapDcs, tags, properties, lease, log);
  }

  /** The same configuration with other PostgreSQL settings. */
  public AgentConfig withPostgresql(PostgresSettings postgresql) {
    return new AgentConfig(
        scope, namespace, name, restapi, postgresql, bootstrapDcs, tags, properties, lease, log);
  }

  /** The same configuration with other tags (a reload applies them without a restart). */
  public AgentConfig withTags(Tags tags) {
    return new AgentConfig(
        scope, namespace, name, restapi, postgresql, bootstrapDcs, tags, properties, lease, log);
  }

  /** Every field, with secret property values (passwords, tokens) masked. */
  @Override
  public String toString() {
    Map<String, Object> shown = new TreeMap<>();
    properties.forEach((k, v) -> shown.put(k, Secrets.isSecret(k) ? Secrets.MASK : v));
    return "AgentConfig[scope="
        + scope
        + ", namespace="
        + namespace
        + ", name="
        + name
        + ", restapi="
        + restapi
        + ", postgresql="
        + postgresql
        + ", bootstrapDcs="
        + bootstrapDcs
        + ", tags="
        + tags
        + ", properties="
        + shown
        + ", lease="
        + lease
        + ", log="
        + log
        + "]";
  }
}
