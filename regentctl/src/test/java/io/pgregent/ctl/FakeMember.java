package io.pgregent.ctl;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

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

  FakeMember() throws IOException {
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  int port() {
    return server.getAddress().getPort();
  }

  String apiUrl() {
    return "http://127.0.0.1:" + port() + "/patroni";
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
