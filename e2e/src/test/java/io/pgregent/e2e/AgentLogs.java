package io.pgregent.e2e;

import java.util.Map;
import java.util.function.Function;
import java.util.function.Supplier;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.TestWatcher;

/** Prints every agent's log tail, under its name, when a test fails. */
final class AgentLogs {

  private AgentLogs() {}

  /**
   * @param agents the class's agents by name, read when a test fails (the map may be filled later)
   * @param tail what to print of one agent
   */
  static <A> TestWatcher onFailure(Supplier<Map<String, A>> agents, Function<A, String> tail) {
    return onFailure(() -> tails(agents.get(), tail));
  }

  /** Prints {@code report}, read when a test fails, after the test's name. */
  static TestWatcher onFailure(Supplier<String> report) {
    return new TestWatcher() {
      @Override
      public void testFailed(ExtensionContext context, Throwable cause) {
        System.err.println("agent logs after " + context.getDisplayName() + ":" + report.get());
      }
    };
  }

  /** What {@code tail} prints of each agent, under its name. */
  static <A> String tails(Map<String, A> agents, Function<A, String> tail) {
    StringBuilder sb = new StringBuilder();
    agents.forEach((n, a) -> sb.append("\n--- ").append(n).append(" ---\n").append(tail.apply(a)));
    return sb.toString();
  }
}
