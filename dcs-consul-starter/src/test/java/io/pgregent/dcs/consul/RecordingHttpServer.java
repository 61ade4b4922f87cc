package io.pgregent.dcs.consul;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Function;

/**
 * An in-process HTTP server that records what a client sends and answers with what a test says, for
 * asserting the requests our Consul client builds. It knows nothing of Consul's semantics.
 */
final class RecordingHttpServer implements AutoCloseable {

  /** One request as received. */
  record Recorded(String method, String path, String query, String token, String body) {
    List<String> params() {
      return query == null ? List.of() : List.of(query.split("&"));
    }

    String line() {
      return method + " " + path + (query == null ? "" : "?" + query);
    }
  }

  /** An answer: status, body and the {@code X-Consul-Index} header (none when 0). */
  record Answer(int status, String body, long index) {
    static Answer ok(String body) {
      return new Answer(200, body, 0);
    }

    static Answer ok(String body, long index) {
      return new Answer(200, body, index);
    }
  }

  private final HttpServer server;
  private final List<Recorded> requests = new CopyOnWriteArrayList<>();
  private volatile Function<Recorded, Answer> answers;

  RecordingHttpServer(Function<Recorded, Answer> answers) throws IOException {
    this.answers = answers;
    server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.createContext("/", this::handle);
    server.start();
  }

  void answer(Function<Recorded, Answer> answers) {
    this.answers = answers;
  }

  private void handle(HttpExchange ex) throws IOException {
    String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
    Recorded r =
        new Recorded(
            ex.getRequestMethod(),
            ex.getRequestURI().getRawPath(),
            ex.getRequestURI().getRawQuery(),
            ex.getRequestHeaders().getFirst("X-Consul-Token"),
            body);
    requests.add(r);
    Answer a;
    try {
      a = answers.apply(r);
    } catch (RuntimeException e) {
      a = new Answer(599, "test server: " + e, 0);
    }
    byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
    if (a.index() > 0) {
      ex.getResponseHeaders().add("X-Consul-Index", Long.toString(a.index()));
    }
    ex.getResponseHeaders().add("Content-Type", "application/json");
    ex.sendResponseHeaders(a.status(), out.length == 0 ? -1 : out.length);
    try (OutputStream os = ex.getResponseBody()) {
      os.write(out);
    }
  }

  String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  int port() {
    return server.getAddress().getPort();
  }

  List<Recorded> requests() {
    return new ArrayList<>(requests);
  }

  List<Recorded> requests(String method, String pathPrefix) {
    return requests.stream()
        .filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix))
        .toList();
  }

  void clear() {
    requests.clear();
  }

  @Override
  public void close() {
    server.stop(0);
  }
}
