package io.pgregent.agent.rest;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.loop.TestMembers;
import java.nio.file.Path;
import java.util.Map;

/** Configurations of in-JVM members for the REST tests. */
final class RestTestConfigs {

  private RestTestConfigs() {}

  /** A configuration for pure tests: nothing is started from it. */
  static AgentConfig config(String name, Tags tags) {
    return TestMembers.member(
        Path.of("/nonexistent"),
        "rest",
        name,
        "127.0.0.1:2379",
        tags,
        Map.of(),
        null,
        TestMembers.bootstrapDcs());
  }
}
