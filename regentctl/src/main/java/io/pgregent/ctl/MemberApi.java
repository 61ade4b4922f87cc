package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import io.pgregent.core.tls.PemTls;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/**
 * Calls a member's REST API at the {@code api_url} it published, with the endpoint in place of
 * {@code /patroni}, as patronictl does. Unsafe methods carry the configured Basic credentials.
 */
final class MemberApi {

  /**
   * An answer; {@code status} is -1 when the member could not be reached, {@code body} then says
   * why.
   */
  record Response(int status, String body) {
    boolean reached() {
      return status > 0;
    }

    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** {@code status code=503, (body)} or the reason the member was not reached. */
    String describe() {
      return reached() ? "status code=" + status + ", (" + body.strip() + ")" : body;
    }
  }

  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

  private final CtlSettings.RestSettings settings;
  private HttpClient client;

  MemberApi(CtlSettings.RestSettings settings) {
    this.settings = settings;
  }

  /** The member's URL for an endpoint, e.g. {@code http://10.0.0.1:8008/switchover}. */
  static URI url(Member member, String endpoint) {
    String api =
        member
            .apiUrl()
            .orElseThrow(
                () -> new CtlException("member " + member.name() + " publishes no api_url"));
    URI u = URI.create(api);
    return u.resolve("/" + endpoint.replaceFirst("^/", ""));
  }

  Response get(Member member, String endpoint) {
    return call(member, "GET", endpoint, null, DEFAULT_TIMEOUT);
  }

  Response send(Member member, String method, String endpoint, String json) {
    return call(member, method, endpoint, json, DEFAULT_TIMEOUT);
  }

  Response call(Member member, String method, String endpoint, String json, Duration timeout) {
    URI url = url(member, endpoint);
    HttpRequest.Builder b = HttpRequest.newBuilder(url).timeout(timeout);
    HttpRequest.BodyPublisher body =
        json == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(json, StandardCharsets.UTF_8);
    if (json != null) {
      b.header("Content-Type", "application/json");
    }
    if (!method.equals("GET") && settings.username() != null) {
      String pair =
          settings.username() + ":" + (settings.password() == null ? "" : settings.password());
      b.header(
          "Authorization",
          "Basic " + Base64.getEncoder().encodeToString(pair.getBytes(StandardCharsets.UTF_8)));
    }
    b.method(method, body);
    try {
      HttpResponse<String> r =
          client().send(b.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
      return new Response(r.statusCode(), r.body());
    } catch (HttpTimeoutException e) {
      return new Response(-1, url + ": no answer within " + timeout.toSeconds() + " s");
    } catch (ConnectException e) {
      return new Response(-1, url + ": cannot connect (" + e.getClass().getSimpleName() + ")");
    } catch (IOException e) {
      return new Response(-1, url + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return new Response(-1, url + ": interrupted");
    }
  }

  private synchronized HttpClient client() {
    if (client == null) {
      HttpClient.Builder b =
          HttpClient.newBuilder()
              .connectTimeout(Duration.ofSeconds(5))
              .version(HttpClient.Version.HTTP_1_1);
      if (settings.insecure() || settings.cacert() != null || settings.certfile() != null) {
        b.sslContext(sslContext());
      }
      client = b.build();
    }
    return client;
  }

  private SSLContext sslContext() {
    try {
      TrustManager[] trust = null;
      if (settings.insecure()) {
        // -k: the operator chose not to verify the members' certificates.
        System.setProperty("jdk.internal.httpclient.disableHostnameVerification", "true");
        trust = PemTls.trustAll();
      } else if (settings.cacert() != null) {
        trust = PemTls.trust(settings.cacert(), "ctl.cacert");
      }
      KeyManager[] keys = null;
      if (settings.certfile() != null) {
        if (settings.keyfile() == null) {
          throw new CtlException("ctl.certfile needs ctl.keyfile");
        }
        keys =
            PemTls.keys(
                settings.certfile(),
                "ctl.certfile",
                settings.keyfile(),
                "ctl.keyfile",
                settings.keyPassword());
      }
      return PemTls.context(keys, trust);
    } catch (PemTls.TlsFileException e) {
      throw new CtlException("cannot set up TLS for the REST API: " + e.getMessage(), e);
    }
  }
}
