package io.pgregent.testsupport;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(30)
class FaultProxyTests {

  private ServerSocket echo;
  private FaultProxy proxy;

  @BeforeEach
  void startEcho() throws IOException {
    echo = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    Thread t =
        new Thread(
            () -> {
              while (!echo.isClosed()) {
                try {
                  Socket s = echo.accept();
                  Thread h =
                      new Thread(
                          () -> {
                            try (s;
                                InputStream in = s.getInputStream();
                                OutputStream out = s.getOutputStream()) {
                              in.transferTo(out);
                            } catch (IOException e) {
                              // client gone
                            }
                          });
                  h.setDaemon(true);
                  h.start();
                } catch (IOException e) {
                  return;
                }
              }
            });
    t.setDaemon(true);
    t.start();
    proxy = FaultProxy.to("127.0.0.1", echo.getLocalPort());
  }

  @AfterEach
  void stop() throws IOException {
    proxy.close();
    echo.close();
  }

  private static String roundTrip(Socket s, String text) throws IOException {
    s.getOutputStream().write(text.getBytes());
    byte[] buf = new byte[text.length()];
    int read = 0;
    while (read < buf.length) {
      int n = s.getInputStream().read(buf, read, buf.length - read);
      if (n < 0) {
        throw new IOException("closed");
      }
      read += n;
    }
    return new String(buf);
  }

  @Test
  void passForwardsBothWays() throws IOException {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      assertThat(roundTrip(s, "hello")).isEqualTo("hello");
    }
  }

  @Test
  void cutResetsOpenConnectionsAndRefusesNewOnes() throws IOException {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      roundTrip(s, "x");
      proxy.cut();
      await()
          .atMost(Duration.ofSeconds(10))
          .ignoreExceptions()
          .until(
              () -> {
                try {
                  roundTrip(s, "y");
                  return false;
                } catch (IOException e) {
                  return true;
                }
              });
    }
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      s.setSoTimeout(5000);
      assertThat(s.getInputStream().read()).isEqualTo(-1);
    }
  }

  @Test
  void blackholeDropsBytesButKeepsTheConnection() throws IOException {
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      roundTrip(s, "x");
      proxy.blackhole();
      s.setSoTimeout(500);
      s.getOutputStream().write("lost".getBytes());
      assertThatThrownBy(() -> s.getInputStream().read())
          .isInstanceOf(SocketTimeoutException.class);
    }
  }

  @Test
  void restoreLetsNewConnectionsThrough() throws IOException {
    proxy.cut();
    proxy.restore();
    try (Socket s = new Socket("127.0.0.1", proxy.port())) {
      assertThat(roundTrip(s, "back")).isEqualTo("back");
    }
  }
}
