package io.pgregent.ctl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsParameters;
import com.sun.net.httpserver.HttpsServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;

/**
 * A REST endpoint standing in for a member's API: records every request and answers with what the
 * test says. It checks regentctl's client (paths, bodies, credentials), not the agent.
 */
final class FakeMember implements AutoCloseable {

  record Request(String method, String path, String body, String authorization) {}

  record Reply(int status, String body) {}

  private final HttpServer server;
  final List<Request> requests = new CopyOnWriteArrayList<>();
  volatile Function<Request, Reply> answer = r -> new Reply(200, "ok");

  private final String scheme;

  FakeMember() throws IOException {
    this(null);
  }

  /** With {@code tls}, an HTTPS endpoint that requires a client certificate its CA trusts. */
  FakeMember(SSLContext tls) throws IOException {
    InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
    if (tls == null) {
      server = HttpServer.create(any, 0);
      scheme = "http";
    } else {
      HttpsServer https = HttpsServer.create(any, 0);
      https.setHttpsConfigurator(
          new HttpsConfigurator(tls) {
            @Override
            public void configure(HttpsParameters params) {
              SSLParameters p = tls.getDefaultSSLParameters();
              p.setNeedClientAuth(true);
              params.setSSLParameters(p);
            }
          });
      server = https;
      scheme = "https";
    }
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String apiUrl() {
    return scheme + "://127.0.0.1:" + port() + "/patroni";
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Request r =
        new Request(
            ex.getRequestMethod(),
            ex.getRequestURI().getPath(),
            body,
            ex.getRequestHeaders().getFirst("Authorization"));
    requests.add(r);
    Reply reply;
    try {
      reply = answer.apply(r);
    } catch (RuntimeException e) {
      reply = new Reply(500, e.toString());
    }
    byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
    ex.sendResponseHeaders(reply.status(), out.length == 0 ? -1 : out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
