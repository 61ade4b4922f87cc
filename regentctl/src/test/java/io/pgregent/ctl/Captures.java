package io.pgregent.ctl;

import io.pgregent.testsupport.EtcdServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys and values of a real Patroni 3.0.2 cluster in etcd (patroni-3.0.2-dcs-layout.txt),
 * section by section, written under another scope so that each test has a cluster of its own.
 */
final class Captures {

  private Captures() {}

  /** The {@code key → value} pairs of the capture section whose title starts with {@code title}. */
  static Map<String, String> section(String title) {
    List<String> lines = text().lines().toList();
    Map<String, String> keys = new LinkedHashMap<>();
    boolean in = false;
    for (int i = 0; i < lines.size(); i++) {
      String l = lines.get(i);
      if (l.matches("## \\d.*")) {
        if (in) {
          break;
        }
        in = l.startsWith("## " + title);
        continue;
      }
      if (in && l.startsWith("/service/bench/") && i + 1 < lines.size()) {
        keys.put(l.substring("/service/bench/".length()), lines.get(++i));
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no capture section " + title);
    }
    return keys;
  }

  /** Writes a section's keys as {@code /service/<scope>/...}. */
  static void write(EtcdServer etcd, String scope, Map<String, String> keys) {
    keys.forEach((k, v) -> etcd.put("/service/" + scope + "/" + k, v));
  }

  private static String text() {
    try (InputStream in = Captures.class.getResourceAsStream("/patroni-3.0.2-dcs-layout.txt")) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
