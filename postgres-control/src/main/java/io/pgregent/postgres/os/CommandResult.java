package io.pgregent.postgres.os;

import java.util.List;

/**
 * The outcome of a finished external command.
 *
 * @param command the command as run (without the user switch)
 * @param exitCode the exit status
 * @param output stdout and stderr, interleaved
 */
public record CommandResult(List<String> command, int exitCode, String output) {

  public boolean succeeded() {
    return exitCode == 0;
  }

  /** The last {@code lines} lines of the output, for error messages. */
  public String outputTail(int lines) {
    String[] all = output.strip().split("\n");
    int from = Math.max(0, all.length - lines);
    return String.join("\n", java.util.Arrays.asList(all).subList(from, all.length));
  }
}
