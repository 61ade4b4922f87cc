package io.pgregent.postgres;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The fields of {@code pg_controldata} Regent uses, readable while the server is stopped.
 *
 * @param fields every {@code key: value} line
 */
public record ControlData(Map<String, String> fields) {

  public ControlData {
    fields = Map.copyOf(fields);
  }

  public static ControlData parse(String output) {
    Map<String, String> m = new LinkedHashMap<>();
    for (String line : output.split("\n")) {
      int colon = line.indexOf(':');
      if (colon > 0) {
        m.put(line.substring(0, colon).strip(), line.substring(colon + 1).strip());
      }
    }
    return new ControlData(m);
  }

  public String systemIdentifier() {
    return fields.getOrDefault("Database system identifier", "");
  }

  /** {@code shut down}, {@code shut down in recovery}, {@code in production}, ... */
  public String clusterState() {
    return fields.getOrDefault("Database cluster state", "");
  }

  /** Whether the last shutdown was clean. */
  public boolean cleanShutdown() {
    String s = clusterState();
    return s.equals("shut down") || s.equals("shut down in recovery");
  }

  /** The latest checkpoint's LSN (after a clean stop: the shutdown checkpoint), -1 if unknown. */
  public long checkpointLocation() {
    String v = fields.getOrDefault("Latest checkpoint location", "");
    int slash = v.indexOf('/');
    if (slash <= 0) {
      return -1;
    }
    try {
      return (Long.parseLong(v.substring(0, slash), 16) << 32)
          | Long.parseLong(v.substring(slash + 1), 16);
    } catch (NumberFormatException ex) {
      return -1;
    }
  }

  public int checkpointTimeline() {
    try {
      return Integer.parseInt(fields.getOrDefault("Latest checkpoint's TimeLineID", "0"));
    } catch (NumberFormatException ex) {
      return 0;
    }
  }
}
