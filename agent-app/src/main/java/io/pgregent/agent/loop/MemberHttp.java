package io.pgregent.agent.loop;

import io.pgregent.core.tls.PemTls;
import java.net.http.HttpClient;
import java.security.KeyManagementException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLContextSpi;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocketFactory;
import javax.net.ssl.SSLSessionContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
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
    return lazyClient(props, connectTimeout).get();
  }

  /**
   * The same client, built on its first use. The configuration's TLS files are read now, so that a
   * problem with them is reported at start; without them, TLS itself is set up only on the first
   * https call, so members that serve plain http never load it.
   */
  public static Supplier<HttpClient> lazyClient(
      Map<String, Object> props, Duration connectTimeout) {
    SSLContext ssl = null;
    try {
      ssl = sslContext(props);
    } catch (IllegalStateException e) {
      // The REST API's own TLS start fails on the same files with its error; peers then get the
      // JVM's defaults rather than no client at all.
      log.warn(
          "ctl.cacert/certfile or restapi.cafile/certfile/keyfile cannot be used for calls to"
              + " other members: {}",
          e.getMessage());
    }
    SSLContext tls = ssl;
    return new Supplier<>() {
      private HttpClient client;

      @Override
      public synchronized HttpClient get() {
        if (client == null) {
          HttpClient.Builder b = HttpClient.newBuilder().connectTimeout(connectTimeout);
          if (tls != null) {
            b.sslContext(tls);
          } else {
            // The JVM's default context, set up on the first https call: members that serve
            // plain http never load TLS. Empty parameters leave the engine at that context's
            // defaults, the same protocols and cipher suites the client would have copied.
            b.sslContext(DeferredDefaultTls.context()).sslParameters(new SSLParameters());
          }
          client = b.build();
        }
        return client;
      }
    };
  }

  /** The TLS context, or null for the JVM's defaults. */
  static SSLContext sslContext(Map<String, Object> props) {
    String cert = first(props, "ctl.certfile", "restapi.certfile");
    if (insecure(props.get("ctl.insecure"))) {
      // Insecure skips checking the other side only: a member that requires client certificates
      // still gets ours.
      return insecure(cert == null ? null : clientKeys(props, cert));
    }
    String ca = first(props, "ctl.cacert", "restapi.cafile");
    if (ca == null && cert == null) {
      return null;
    }
    PemSslStoreDetails trust = ca == null ? null : PemSslStoreDetails.forCertificate(location(ca));
    PemSslStoreDetails keys = cert == null ? null : clientKeys(props, cert);
    return SslBundle.of(new PemSslStoreBundle(keys, trust)).createSslContext();
  }

  private static boolean insecure(Object value) {
    if (value == null) {
      return false;
    }
    return switch (String.valueOf(value).trim().toLowerCase(java.util.Locale.ROOT)) {
      case "true", "on", "yes", "1" -> true;
      default -> false;
    };
  }

  /** Our certificate and key for members that ask for one. */
  private static PemSslStoreDetails clientKeys(Map<String, Object> props, String cert) {
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
    return keys;
  }

  private static SSLContext insecure(PemSslStoreDetails keys) {
    try {
      KeyManager[] km =
          keys == null
              ? null
              : SslBundle.of(new PemSslStoreBundle(keys, null)).getManagers().getKeyManagers();
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(km, PemTls.trustAll(), null);
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

  /** {@link SSLContext#getDefault()}, fetched when a TLS connection is first made. */
  static final class DeferredDefaultTls extends SSLContextSpi {

    private SSLContext delegate;

    static SSLContext context() {
      return new SSLContext(new DeferredDefaultTls(), null, "Default") {};
    }

    private synchronized SSLContext delegate() {
      if (delegate == null) {
        try {
          delegate = SSLContext.getDefault();
        } catch (NoSuchAlgorithmException e) {
          throw new IllegalStateException("no default TLS context: " + e.getMessage(), e);
        }
      }
      return delegate;
    }

    @Override
    protected void engineInit(KeyManager[] km, TrustManager[] tm, SecureRandom random)
        throws KeyManagementException {
      throw new KeyManagementException("the default TLS context is initialized by the JVM");
    }

    @Override
    protected SSLSocketFactory engineGetSocketFactory() {
      return delegate().getSocketFactory();
    }

    @Override
    protected SSLServerSocketFactory engineGetServerSocketFactory() {
      return delegate().getServerSocketFactory();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine() {
      return delegate().createSSLEngine();
    }

    @Override
    protected SSLEngine engineCreateSSLEngine(String host, int port) {
      return delegate().createSSLEngine(host, port);
    }

    @Override
    protected SSLSessionContext engineGetServerSessionContext() {
      return delegate().getServerSessionContext();
    }

    @Override
    protected SSLSessionContext engineGetClientSessionContext() {
      return delegate().getClientSessionContext();
    }

    @Override
    protected SSLParameters engineGetDefaultSSLParameters() {
      return delegate().getDefaultSSLParameters();
    }

    @Override
    protected SSLParameters engineGetSupportedSSLParameters() {
      return delegate().getSupportedSSLParameters();
    }
  }
}
