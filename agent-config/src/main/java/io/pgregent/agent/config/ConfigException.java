package io.pgregent.agent.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * The configuration cannot be used. The message has one line per error, {@code <key>: <problem>}.
 */
public class ConfigException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final transient List<ConfigProblem> problems;

  public ConfigException(List<ConfigProblem> problems) {
    super(
        problems.stream()
            .filter(ConfigProblem::isError)
            .map(ConfigProblem::toString)
            .collect(Collectors.joining("\n")));
    this.problems = List.copyOf(problems);
  }

  /** Every problem found, errors and warnings, in the order found. */
  public List<ConfigProblem> problems() {
    return problems;
  }

  /** The errors only. */
  public List<ConfigProblem> errors() {
    return problems.stream().filter(ConfigProblem::isError).toList();
  }
}
