package io.pgregent.agent.rest;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestMembers;
import io.pgregent.postgres.config.Credentials;
import java.nio.file.Path;
import java.util.Map;

/** Configurations of in-JVM members for the REST tests. */
final class RestTestConfigs {

  static final Credentials SUPERUSER = TestMembers.SUPERUSER;

  private RestTestConfigs() {}

  /** A configuration for pure tests: nothing is started from it. */
  static AgentConfig config(String name, Tags tags) {
    return member(Path.of("/nonexistent"), "rest", name, "127.0.0.1:2379", tags, Map.of(), null);
  }

  static AgentConfig member(
      Path base,
      String scope,
      String name,
      String etcdHostPort,
      Tags tags,
      Map<String, Object> extra,
      Credentials restAuth) {
    return TestMembers.member(base, scope, name, etcdHostPort, tags, extra, restAuth);
  }
}
