package io.pgregent.agent.rest;

import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Patroni's REST API TLS settings as Spring Boot's {@code server.ssl.*}: {@code restapi.certfile}
 * (PEM certificate chain) turns HTTPS on, {@code keyfile} (+ {@code keyfile_password}) is its key,
 * {@code cafile} verifies client certificates, {@code verify_client} {@code none}/{@code
 * optional}/{@code required} maps to client-auth none/want/need ({@code optional} additionally
 * requires a certificate on unsafe methods, see {@link UnsafeMethodGuard}).
 */
public final class RestTls {

  private RestTls() {}

  /** The {@code server.ssl.*} properties, empty when TLS is off. */
  public static Map<String, Object> serverSslProperties(Map<String, Object> props) {
    Map<String, Object> ssl = new LinkedHashMap<>();
    String cert = text(props, "restapi.certfile");
    if (cert == null) {
      return ssl;
    }
    ssl.put("server.ssl.enabled", true);
    ssl.put("server.ssl.certificate", location(cert));
    String key = text(props, "restapi.keyfile");
    // Patroni: the key may sit in the certificate file
    ssl.put("server.ssl.certificate-private-key", location(key == null ? cert : key));
    String keyPassword = text(props, "restapi.keyfile_password");
    if (keyPassword != null) {
      ssl.put("server.ssl.key-password", keyPassword);
    }
    String ca = text(props, "restapi.cafile");
    if (ca != null) {
      ssl.put("server.ssl.trust-certificate", location(ca));
    }
    String ciphers = text(props, "restapi.ciphers");
    if (ciphers != null) {
      // Tomcat reads OpenSSL cipher strings (as Patroni's are) as well as JSSE names.
      ssl.put("server.ssl.ciphers", ciphers);
    }
    String verify = text(props, "restapi.verify_client");
    String clientAuth =
        verify == null
            ? "none"
            : switch (verify.toLowerCase(Locale.ROOT)) {
              case "required" -> "need";
              case "optional" -> "want";
              default -> "none";
            };
    ssl.put("server.ssl.client-auth", clientAuth);
    return ssl;
  }

  /**
   * Patroni's {@code restapi.server_tokens} as the {@code Server} header: {@code Original} (the
   * default; Regent's own version beside Patroni's), {@code Minimal}, {@code ProductOnly}.
   */
  public static String serverHeader(Map<String, Object> props, String patroni, String regent) {
    String tokens = text(props, "restapi.server_tokens");
    if (tokens != null && tokens.equalsIgnoreCase("ProductOnly")) {
      return "Patroni";
    }
    if (tokens != null && tokens.equalsIgnoreCase("Minimal")) {
      return "Patroni/" + patroni;
    }
    return "Patroni/" + patroni + " Regent/" + regent;
  }

  private static String location(String path) {
    return path.startsWith("file:") || path.startsWith("classpath:") ? path : "file:" + path;
  }

  private static String text(Map<String, Object> props, String key) {
    Object v = props.get(key);
    return v == null || String.valueOf(v).isBlank() ? null : String.valueOf(v);
  }
}
