package io.pgregent.ctl;

import io.pgregent.core.cluster.Member;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.List;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

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
        trust = new TrustManager[] {new TrustAll()};
      } else if (settings.cacert() != null) {
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        int i = 0;
        for (Certificate c : certificates(settings.cacert(), "ctl.cacert")) {
          ks.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        trust = tmf.getTrustManagers();
      }
      KeyManagerFactory kmf = null;
      if (settings.certfile() != null) {
        if (settings.keyfile() == null) {
          throw new CtlException("ctl.certfile needs ctl.keyfile");
        }
        char[] pw = new char[0];
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        List<Certificate> chain =
            new ArrayList<>(certificates(settings.certfile(), "ctl.certfile"));
        ks.setKeyEntry("client", privateKey(), pw, chain.toArray(new Certificate[0]));
        kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, pw);
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(kmf == null ? null : kmf.getKeyManagers(), trust, null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new CtlException("cannot set up TLS for the REST API: " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> certificates(Path file, String key)
      throws IOException, GeneralSecurityException {
    if (!Files.isReadable(file)) {
      throw new CtlException(key + ": cannot read " + file);
    }
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateFactory.getInstance("X.509").generateCertificates(in);
    }
  }

  private PrivateKey privateKey() throws IOException, GeneralSecurityException {
    Path file = settings.keyfile();
    if (!Files.isReadable(file)) {
      throw new CtlException("ctl.keyfile: cannot read " + file);
    }
    String pem = Files.readString(file);
    boolean encrypted = pem.contains("BEGIN ENCRYPTED PRIVATE KEY");
    if (!encrypted && !pem.contains("BEGIN PRIVATE KEY")) {
      throw new CtlException(
          "ctl.keyfile: "
              + file
              + " is not a PKCS #8 PEM key (convert it: openssl pkcs8 -topk8 -nocrypt -in KEY)");
    }
    String base64 = pem.replaceAll("-----[A-Z ]+-----", "").replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(base64);
    PKCS8EncodedKeySpec spec;
    if (encrypted) {
      if (settings.keyPassword() == null) {
        throw new CtlException("ctl.keyfile is encrypted: set ctl.keyfile_password");
      }
      EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
      SecretKeyFactory f = SecretKeyFactory.getInstance(info.getAlgName());
      spec =
          info.getKeySpec(f.generateSecret(new PBEKeySpec(settings.keyPassword().toCharArray())));
    } else {
      spec = new PKCS8EncodedKeySpec(der);
    }
    for (String alg : List.of("RSA", "EC", "Ed25519")) {
      try {
        return KeyFactory.getInstance(alg).generatePrivate(spec);
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new CtlException("ctl.keyfile: " + file + ": not an RSA, EC or Ed25519 key");
  }

  private static final class TrustAll implements X509TrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
