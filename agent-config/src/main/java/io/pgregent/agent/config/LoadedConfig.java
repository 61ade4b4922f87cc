package io.pgregent.agent.config;

import java.util.List;

/**
 * The outcome of reading a configuration: the configuration when it is usable, and every problem
 * found.
 *
 * @param config the configuration, null when there is any error
 * @param problems errors and warnings in the order found
 */
public record LoadedConfig(AgentConfig config, List<ConfigProblem> problems) {

  public LoadedConfig {
    problems = List.copyOf(problems);
  }

  public boolean hasErrors() {
    return problems.stream().anyMatch(ConfigProblem::isError);
  }

  public List<ConfigProblem> errors() {
    return problems.stream().filter(ConfigProblem::isError).toList();
  }

  public List<ConfigProblem> warnings() {
    return problems.stream().filter(p -> !p.isError()).toList();
  }
}
