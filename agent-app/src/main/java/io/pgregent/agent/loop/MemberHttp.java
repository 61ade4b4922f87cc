package io.pgregent.agent.loop;

import java.net.http.HttpClient;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;
import org.springframework.boot.ssl.SslBundle;
import org.springframework.boot.ssl.pem.PemSslStoreBundle;
import org.springframework.boot.ssl.pem.PemSslStoreDetails;

/**
 * The HTTP client for calls to other members' REST APIs (leader race, failsafe, switchover checks).
 * Members that serve HTTPS are verified with {@code ctl.cacert}, else {@code restapi.cafile}, and
 * shown our certificate from {@code ctl.certfile}/{@code keyfile}, else {@code
 * restapi.certfile}/{@code keyfile} (a member with {@code verify_client: required} asks for one).
 * {@code ctl.insecure: true} skips verification, as in Patroni. Without this, a race among members
 * with a private CA would see every peer as unreachable.
 */
public final class MemberHttp {

  private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(MemberHttp.class);

  private MemberHttp() {}

  /** A client for the configuration's member-to-member calls. */
  public static HttpClient client(Map<String, Object> props, Duration connectTimeout) {
    HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout);
    try {
      SSLContext ssl = sslContext(props);
      if (ssl != null) {
        b.sslContext(ssl);
      }
    } catch (IllegalStateException e) {
      // The REST API's own TLS start fails on the same files with its error; peers then get the
      // JVM's defaults rather than no client at all.
      log.warn(
          "ctl.cacert/certfile or restapi.cafile/certfile/keyfile cannot be used for calls to"
              + " other members: {}",
          e.getMessage());
    }
    return b.build();
  }

  /** The TLS context, or null for the JVM's defaults. */
  static SSLContext sslContext(Map<String, Object> props) {
    if (Boolean.parseBoolean(String.valueOf(props.get("ctl.insecure")))) {
      return insecure();
    }
    String ca = first(props, "ctl.cacert", "restapi.cafile");
    String cert = first(props, "ctl.certfile", "restapi.certfile");
    if (ca == null && cert == null) {
      return null;
    }
    PemSslStoreDetails trust = ca == null ? null : PemSslStoreDetails.forCertificate(location(ca));
    PemSslStoreDetails keys = null;
    if (cert != null) {
      String key =
          props.containsKey("ctl.certfile")
              ? first(props, "ctl.keyfile")
              : first(props, "restapi.keyfile");
      String password =
          props.containsKey("ctl.certfile")
              ? first(props, "ctl.keyfile_password")
              : first(props, "restapi.keyfile_password");
      keys =
          PemSslStoreDetails.forCertificate(location(cert))
              .withPrivateKey(location(key == null ? cert : key))
              .withPrivateKeyPassword(password);
    }
    return SslBundle.of(new PemSslStoreBundle(keys, trust)).createSslContext();
  }

  private static SSLContext insecure() {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(null, new javax.net.ssl.TrustManager[] {new TrustAll()}, null);
      return ctx;
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalStateException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  private static String first(Map<String, Object> props, String... keys) {
    for (String k : keys) {
      Object v = props.get(k);
      if (v != null && !String.valueOf(v).isBlank()) {
        return String.valueOf(v);
      }
    }
    return null;
  }

  private static String location(String path) {
    return path.startsWith("file:") || path.startsWith("classpath:") ? path : "file:" + path;
  }

  /** {@code ctl.insecure}: no certificate or host name checks. */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(
        X509Certificate[] chain, String authType, java.net.Socket socket) {}

    @Override
    public void checkServerTrusted(
        X509Certificate[] chain, String authType, java.net.Socket socket) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine) {}

    @Override
    public X509Certificate[] getAcceptedIssuers() {
      return new X509Certificate[0];
    }
  }
}
