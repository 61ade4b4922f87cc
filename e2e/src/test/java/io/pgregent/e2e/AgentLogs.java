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
    return new TestWatcher() {
      @Override
      public void testFailed(ExtensionContext context, Throwable cause) {
        StringBuilder sb = new StringBuilder();
        agents
            .get()
            .forEach(
                (n, a) -> sb.append("\n--- ").append(n).append(" ---\n").append(tail.apply(a)));
        System.err.println("agent logs after " + context.getDisplayName() + ":" + sb);
      }
    };
  }
}
