package io.pgregent.dcs.consul;

import com.ecwid.consul.UrlParameters;
import com.ecwid.consul.transport.HttpResponse;
import com.ecwid.consul.v1.ConsulRawClient;
import com.ecwid.consul.v1.Request;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.http.HttpHost;
import org.apache.http.HttpRequest;
import org.apache.http.client.config.RequestConfig;
import org.apache.http.client.methods.CloseableHttpResponse;
import org.apache.http.client.methods.HttpRequestBase;
import org.apache.http.config.RegistryBuilder;
import org.apache.http.conn.socket.ConnectionSocketFactory;
import org.apache.http.conn.socket.PlainConnectionSocketFactory;
import org.apache.http.conn.ssl.DefaultHostnameVerifier;
import org.apache.http.conn.ssl.NoopHostnameVerifier;
import org.apache.http.conn.ssl.SSLConnectionSocketFactory;
import org.apache.http.impl.client.CloseableHttpClient;
import org.apache.http.impl.client.HttpClients;
import org.apache.http.impl.conn.PoolingHttpClientConnectionManager;
import org.apache.http.protocol.HttpContext;

/**
 * Consul's HTTP API through consul-api's raw client: every request carries the token and the
 * datacenter, and gives up after the time its caller has left (blocking queries after their wait
 * plus Consul's jitter). Non-2xx answers are returned, not thrown; IO failures are thrown.
 */
final class ConsulHttp implements AutoCloseable {

  /** One answer: its status, its body and Consul's {@code X-Consul-Index} (0 if absent). */
  record Reply(int status, String body, long index) {
    boolean ok() {
      return status / 100 == 2;
    }
  }

  private final ConsulSettings settings;
  private final ThreadLocal<Duration> timeout = new ThreadLocal<>();
  private final CloseableHttpClient http;
  private final ConsulRawClient raw;

  ConsulHttp(ConsulSettings settings) {
    this.settings = Objects.requireNonNull(settings);
    var sockets =
        RegistryBuilder.<ConnectionSocketFactory>create()
            .register("http", PlainConnectionSocketFactory.getSocketFactory());
    if (settings.isHttps()) {
      sockets.register(
          "https",
          new SSLConnectionSocketFactory(
              ConsulTls.sslContext(settings),
              settings.verify() ? new DefaultHostnameVerifier() : NoopHostnameVerifier.INSTANCE));
    }
    PoolingHttpClientConnectionManager pool =
        new PoolingHttpClientConnectionManager(sockets.build());
    pool.setMaxTotal(8);
    pool.setDefaultMaxPerRoute(8);
    // Connections idle on the client's side may have been dropped by a proxy or a restarted agent.
    pool.setValidateAfterInactivity(1000);
    this.http =
        new DeadlineClient(
            HttpClients.custom()
                .setConnectionManager(pool)
                .disableAutomaticRetries()
                .disableRedirectHandling()
                .build(),
            timeout);
    this.raw =
        ConsulRawClient.Builder.builder()
            .setHost(settings.endpoint().getScheme() + "://" + settings.endpoint().getHost())
            .setPort(settings.endpoint().getPort())
            .setHttpClient(http)
            .build();
  }

  String endpoint() {
    return settings.endpoint().toString();
  }

  Reply get(String path, Duration within, String... params) {
    return call(within, () -> raw.makeGetRequest(request(path, null, params)));
  }

  Reply put(String path, String body, Duration within, String... params) {
    return call(within, () -> raw.makePutRequest(request(path, body, params)));
  }

  Reply delete(String path, Duration within, String... params) {
    return call(within, () -> raw.makeDeleteRequest(request(path, null, params)));
  }

  private Reply call(Duration within, java.util.function.Supplier<HttpResponse> request) {
    Duration previous = timeout.get();
    timeout.set(within);
    try {
      HttpResponse r = request.get();
      return new Reply(
          r.getStatusCode(),
          r.getContent() == null ? "" : r.getContent(),
          r.getConsulIndex() == null ? 0 : r.getConsulIndex());
    } finally {
      if (previous == null) {
        timeout.remove();
      } else {
        timeout.set(previous);
      }
    }
  }

  private Request request(String path, String body, String... params) {
    List<String> all = new ArrayList<>(List.of(params));
    if (settings.dc() != null) {
      all.add("dc=" + encode(settings.dc()));
    }
    UrlParameters urlParams = () -> all;
    return Request.Builder.newBuilder()
        .setEndpoint(path)
        .addUrlParameter(urlParams)
        .setBinaryContent(body == null ? new byte[0] : body.getBytes(StandardCharsets.UTF_8))
        .setToken(settings.token())
        .build();
  }

  /** A KV key as a URL path, each segment encoded and the slashes kept. */
  static String kvPath(String key) {
    String relative = key.startsWith("/") ? key.substring(1) : key;
    StringBuilder b = new StringBuilder("/v1/kv/");
    String[] segments = relative.split("/", -1);
    for (int i = 0; i < segments.length; i++) {
      if (i > 0) {
        b.append('/');
      }
      b.append(encode(segments[i]));
    }
    return b.toString();
  }

  static String encode(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }

  @Override
  public void close() {
    try {
      http.close();
    } catch (IOException e) {
      // nothing left to do: the connections are gone either way
    }
  }

  /** Gives every request the time its caller has left, for connecting and for each read. */
  private static final class DeadlineClient extends CloseableHttpClient {
    private final CloseableHttpClient delegate;
    private final ThreadLocal<Duration> timeout;

    DeadlineClient(CloseableHttpClient delegate, ThreadLocal<Duration> timeout) {
      this.delegate = delegate;
      this.timeout = timeout;
    }

    @Override
    protected CloseableHttpResponse doExecute(
        HttpHost target, HttpRequest request, HttpContext context) throws IOException {
      Duration t = timeout.get();
      if (t != null && request instanceof HttpRequestBase base) {
        int ms = (int) Math.max(1, Math.min(Integer.MAX_VALUE, t.toMillis()));
        base.setConfig(
            RequestConfig.custom()
                .setConnectTimeout(ms)
                .setConnectionRequestTimeout(ms)
                .setSocketTimeout(ms)
                .setRedirectsEnabled(false)
                .build());
      }
      return delegate.execute(target, request, context);
    }

    @Override
    @SuppressWarnings("deprecation")
    public org.apache.http.params.HttpParams getParams() {
      return delegate.getParams();
    }

    @Override
    @SuppressWarnings("deprecation")
    public org.apache.http.conn.ClientConnectionManager getConnectionManager() {
      return delegate.getConnectionManager();
    }

    @Override
    public void close() throws IOException {
      delegate.close();
    }
  }
}
