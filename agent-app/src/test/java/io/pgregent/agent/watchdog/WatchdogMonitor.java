package io.pgregent.agent.watchdog;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * The other end of the testing driver's FIFO, as in Patroni's acceptance harness: records the
 * timeouts set ({@code Ctimeout=<n>}), the keep-alives ({@code 1}) and the magic close ({@code V}).
 * It holds the FIFO open for reading and writing, so a writer can open it at any time, and stops
 * when it reads the {@code X} that {@link #close()} writes.
 */
final class WatchdogMonitor implements AutoCloseable {

  final Path fifo;
  private final RandomAccessFile pipe;
  private final Thread reader;
  private final StringBuffer received = new StringBuffer();
  final List<Integer> timeouts = new CopyOnWriteArrayList<>();
  private volatile int pings;
  private volatile boolean closed;

  WatchdogMonitor(Path fifo) throws IOException, InterruptedException {
    this.fifo = fifo;
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
    if (!mkfifo.waitFor(30, TimeUnit.SECONDS) || mkfifo.exitValue() != 0) {
      mkfifo.destroyForcibly();
      throw new IOException("mkfifo " + fifo + " failed");
    }
    pipe = new RandomAccessFile(fifo.toFile(), "rw");
    reader = new Thread(this::read, "watchdog-monitor");
    reader.setDaemon(true);
    reader.start();
  }

  private void read() {
    try {
      int c;
      while ((c = pipe.read()) != -1 && c != 'X') {
        received.append((char) c);
        switch (c) {
          case 'C' -> {
            StringBuilder command = new StringBuilder();
            int d;
            while ((d = pipe.read()) != -1 && d != '\n') {
              command.append((char) d);
            }
            received.append(command).append('\n');
            if (command.toString().startsWith("timeout=")) {
              timeouts.add(Integer.parseInt(command.substring("timeout=".length())));
            }
          }
          case '1' -> pings++;
          case 'V' -> closed = true;
          default -> {
            // recorded in received
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Everything written so far, in order. */
  String received() {
    return received.toString();
  }

  int pings() {
    return pings;
  }

  boolean wasClosed() {
    return closed;
  }

  /** The last timeout set, or Patroni harness's initial 60. */
  int timeout() {
    return timeouts.isEmpty() ? 60 : timeouts.get(timeouts.size() - 1);
  }

  void reset() {
    pings = 0;
    closed = false;
  }

  @Override
  public void close() throws IOException, InterruptedException {
    pipe.write('X');
    reader.join(TimeUnit.SECONDS.toMillis(30));
    pipe.close();
  }
}
