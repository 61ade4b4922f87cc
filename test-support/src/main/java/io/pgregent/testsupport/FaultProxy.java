package io.pgregent.testsupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TCP proxy on loopback that can fail on demand, so that a client's view of a dead or partitioned
 * server is tested against the real server:
 *
 * <ul>
 *   <li>{@link Mode#PASS}: bytes flow both ways;
 *   <li>{@link Mode#CUT}: every connection is reset and new ones are closed at once (a server that
 *       is down);
 *   <li>{@link Mode#BLACKHOLE}: connections stay open but bytes are dropped both ways (a partition,
 *       a dead peer that never answers).
 * </ul>
 */
public final class FaultProxy implements AutoCloseable {

  public enum Mode {
    PASS,
    CUT,
    BLACKHOLE
  }

  private static final Logger log = LoggerFactory.getLogger(FaultProxy.class);

  private final InetSocketAddress target;
  private final ServerSocket server;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.PASS;
  private volatile boolean closed;

  private FaultProxy(InetSocketAddress target, ServerSocket server) {
    this.target = target;
    this.server = server;
    Thread acceptor = new Thread(this::acceptLoop, "fault-proxy-" + server.getLocalPort());
    acceptor.setDaemon(true);
    acceptor.start();
  }

  /** A proxy on a free loopback port forwarding to {@code host:port}. */
  public static FaultProxy to(String host, int port) {
    try {
      ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
      return new FaultProxy(new InetSocketAddress(host, port), server);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public int port() {
    return server.getLocalPort();
  }

  /** {@code 127.0.0.1:<port>}. */
  public String hostAndPort() {
    return "127.0.0.1:" + port();
  }

  public Mode mode() {
    return mode;
  }

  /** Switches the failure mode; {@link Mode#CUT} also resets every open connection. */
  public void set(Mode newMode) {
    log.info("proxy {} -> {}: {}", port(), target, newMode);
    Mode old = mode;
    mode = newMode;
    // Bytes a blackhole dropped are gone for good, unlike a real partition (where TCP retransmits
    // them once it heals): those connections are broken, so they are reset as TCP would give up.
    if (newMode == Mode.CUT || old == Mode.BLACKHOLE && newMode == Mode.PASS) {
      sockets.forEach(FaultProxy::closeQuietly);
      sockets.clear();
    }
  }

  public void cut() {
    set(Mode.CUT);
  }

  public void blackhole() {
    set(Mode.BLACKHOLE);
  }

  public void restore() {
    set(Mode.PASS);
  }

  private void acceptLoop() {
    while (!closed) {
      Socket client;
      try {
        client = server.accept();
      } catch (IOException e) {
        if (!closed) {
          log.warn("proxy {} accept failed: {}", port(), e.toString());
        }
        return;
      }
      if (mode == Mode.CUT) {
        closeQuietly(client);
        continue;
      }
      Socket upstream = new Socket();
      try {
        upstream.connect(target, 2000);
      } catch (IOException e) {
        closeQuietly(client);
        closeQuietly(upstream);
        continue;
      }
      sockets.add(client);
      sockets.add(upstream);
      pump(client, upstream);
      pump(upstream, client);
    }
  }

  private void pump(Socket from, Socket to) {
    Thread t =
        new Thread(
            () -> {
              byte[] buf = new byte[16384];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  if (mode == Mode.PASS) {
                    out.write(buf, 0, n);
                    out.flush();
                  }
                }
              } catch (SocketException e) {
                // closed by cut() or by the peer
              } catch (IOException e) {
                log.debug("proxy pump ended: {}", e.toString());
              } finally {
                closeQuietly(from);
                closeQuietly(to);
                sockets.remove(from);
                sockets.remove(to);
              }
            },
            "fault-proxy-pump-" + port());
    t.setDaemon(true);
    t.start();
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  @Override
  public void close() {
    closed = true;
    try {
      server.close();
    } catch (IOException e) {
      // nothing to do
    }
    sockets.forEach(FaultProxy::closeQuietly);
    sockets.clear();
  }
}
