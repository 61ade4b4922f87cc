package io.pgregent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

/**
 * DNS look-ups with the real {@code dig} (Debian's {@code dnsutils}), as an operator makes them.
 */
public final class Dig {

  private Dig() {}

  /** Null when {@code dig} is on PATH, else why the DNS cases cannot run. */
  public static String unavailableReason() {
    for (String d : System.getenv().getOrDefault("PATH", "/usr/bin").split(":")) {
      if (Files.isExecutable(Path.of(d, "dig"))) {
        return null;
      }
    }
    return "no 'dig' on PATH: install Debian's dnsutils (./test.sh does) to check DNS discovery";
  }

  /**
   * The ports of the SRV records {@code dig @127.0.0.1 -p <port> <name> SRV} answers; empty for
   * NXDOMAIN or no answer.
   */
  public static Set<Integer> srvPorts(int dnsPort, String name) {
    List<String> cmd =
        List.of(
            "dig",
            "@127.0.0.1",
            "-p",
            String.valueOf(dnsPort),
            "+short",
            "+time=2",
            "+tries=1",
            name,
            "SRV");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
      }
      Set<Integer> ports = new TreeSet<>();
      for (String line : out.strip().split("\n")) {
        String[] f = line.trim().split("\\s+");
        if (f.length == 4) {
          ports.add(Integer.parseInt(f[2]));
        } else if (!line.isBlank()) {
          throw new IllegalStateException("unexpected dig answer: " + out);
        }
      }
      return ports;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
