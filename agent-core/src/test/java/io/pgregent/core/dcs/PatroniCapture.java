package io.pgregent.core.dcs;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The keys a real Patroni 3.0.2 cluster wrote in etcd (test resource {@code
 * patroni/patroni-3.0.2-dcs-layout.txt}): its snapshots by section, and every value its watch saw.
 */
final class PatroniCapture {

  static final String PREFIX = "/service/bench/";

  /** Section heading (e.g. "## 1. after bootstrap") to the keys and values listed under it. */
  final Map<String, List<RawNode>> snapshots = new LinkedHashMap<>();

  /** Every PUT seen by the watch, as (key, value). */
  final List<RawNode> watchedPuts = new ArrayList<>();

  static PatroniCapture load() {
    try (InputStream in =
        PatroniCapture.class.getResourceAsStream("/patroni/patroni-3.0.2-dcs-layout.txt")) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return new PatroniCapture(text.split("\n"));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private PatroniCapture(String[] lines) {
    String section = null;
    long version = 1;
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      if (line.matches("^## \\S.*")) {
        section = line;
        continue;
      }
      if (section == null || section.startsWith("## 1b") || section.startsWith("## leases")) {
        continue;
      }
      boolean watch = section.startsWith("## 1c") || section.startsWith("## 3");
      if (watch) {
        if (line.equals("PUT") && i + 2 < lines.length) {
          watchedPuts.add(
              new RawNode(lines[i + 1].substring(PREFIX.length()), lines[i + 2], version++));
          i += 2;
        }
      } else if (line.startsWith(PREFIX) && i + 1 < lines.length) {
        snapshots
            .computeIfAbsent(section, s -> new ArrayList<>())
            .add(new RawNode(line.substring(PREFIX.length()), lines[i + 1], version++));
        i++;
      }
    }
  }

  List<RawNode> snapshot(String headingStart) {
    return snapshots.entrySet().stream()
        .filter(e -> e.getKey().startsWith(headingStart))
        .findFirst()
        .orElseThrow(() -> new IllegalArgumentException("no section " + headingStart))
        .getValue();
  }
}
