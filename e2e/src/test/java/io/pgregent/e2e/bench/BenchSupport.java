package io.pgregent.e2e.bench;

import java.sql.Connection;
import java.util.List;

/** What the benchmarks' command lines and writer threads share. */
final class BenchSupport {

  private BenchSupport() {}

  /**
   * Removes {@code name VALUE} from {@code args} and returns VALUE, or {@code absent} when {@code
   * name} is not there; {@code name} without a value fails, saying it needs {@code needs}.
   */
  static String takeOption(List<String> args, String name, String absent, String needs) {
    int at = args.indexOf(name);
    if (at < 0) {
      return absent;
    }
    if (at + 1 >= args.size()) {
      throw new IllegalArgumentException(name + " needs " + needs);
    }
    String value = args.get(at + 1);
    args.remove(at + 1);
    args.remove(at);
    return value;
  }

  /** Closes {@code c}, if any, ignoring a failure: the connection is given up either way. */
  static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception ignored) {
        // reconnecting or done
      }
    }
  }
}
