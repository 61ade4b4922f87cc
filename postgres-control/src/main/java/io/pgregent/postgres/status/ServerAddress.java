package io.pgregent.postgres.status;

import io.pgregent.postgres.config.Credentials;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;

/**
 * How the JDBC driver reaches one server and talks to it: TCP to {@code host}, or the server's unix
 * socket in {@code socketDirectory} when that is not null.
 */
record ServerAddress(String host, int port, Path socketDirectory) {

  private static final String UNIX_SOCKET_FACTORY =
      "org.newsclub.net.unix.AFUNIXSocketFactory$FactoryArg";

  /** The server as messages name it: host and port, or the socket's path. */
  String where() {
    return socketDirectory == null ? host + ":" + port : socketPath();
  }

  private String socketPath() {
    return socketDirectory.resolve(".s.PGSQL." + port).toString();
  }

  /** The URL of database {@code postgres}. */
  String url() {
    // The socket factory connects only what the driver addresses as "localhost", to its socket.
    String h = socketDirectory != null ? "localhost" : host.contains(":") ? "[" + host + "]" : host;
    return "jdbc:postgresql://" + h + ":" + port + "/postgres";
  }

  /** The URL of {@code database}. */
  String url(String database) {
    return url().replaceFirst("/postgres$", "/" + encode(database));
  }

  private static String encode(String database) {
    return java.net.URLEncoder.encode(database, java.nio.charset.StandardCharsets.UTF_8)
        .replace("+", "%20");
  }

  /**
   * The driver's connection properties: the role, the unix socket or libpq's TLS parameters, and
   * the bounds (whole seconds, at least one, rounded up) of connecting, logging in and each query.
   */
  Properties properties(Credentials credentials, Duration connectTimeout, Duration queryTimeout) {
    Properties p = new Properties();
    p.setProperty("user", credentials.username());
    if (credentials.password() != null) {
      p.setProperty("password", credentials.password());
    }
    if (socketDirectory != null) {
      p.setProperty("socketFactory", UNIX_SOCKET_FACTORY);
      p.setProperty("socketFactoryArg", socketPath());
      // As libpq: no TLS or GSS encryption on a unix socket, whatever the entry asks for TCP.
      p.setProperty("sslmode", "disable");
      p.setProperty("gssEncMode", "disable");
    } else {
      credentials.parameters().forEach((k, v) -> setJdbcParameter(p, k, v));
      if (credentials.parameter("sslcert") != null
          && PemKeySslFactory.needed(credentials.parameter("sslkey"))) {
        p.setProperty("sslfactory", PemKeySslFactory.class.getName());
      }
    }
    p.setProperty("connectTimeout", Long.toString(seconds(connectTimeout)));
    p.setProperty("loginTimeout", Long.toString(seconds(connectTimeout.plus(queryTimeout))));
    p.setProperty("socketTimeout", Long.toString(seconds(queryTimeout)));
    p.setProperty("ApplicationName", "regent");
    p.setProperty("tcpKeepAlive", "true");
    // Regent's own statements never wait for synchronous standbys: in strict mode with none left
    // a commit on the primary would block the HA loop until one returns.
    p.setProperty(
        "options",
        "-c statement_timeout=" + queryTimeout.toMillis() + " -c synchronous_commit=local");
    return p;
  }

  /**
   * Sets libpq parameter {@code name} as the driver's property. The driver reads PEM keys named
   * {@code *.key} or {@code *.pem} (PKCS#8, as {@code openssl req} writes them) as well as PKCS#8
   * DER and PKCS#12 (other PEM keys go through {@link PemKeySslFactory}); it has no certificate
   * revocation lists, so {@code sslcrl} and {@code sslcrldir} apply only to libpq programs.
   */
  private static void setJdbcParameter(Properties p, String name, String value) {
    switch (name) {
      case "sslmode", "sslcert", "sslkey", "sslrootcert", "sslpassword" ->
          p.setProperty(name, value);
      case "gssencmode" -> p.setProperty("gssEncMode", value);
      case "channel_binding" -> p.setProperty("channelBinding", value);
      default -> {
        // sslcrl, sslcrldir: libpq only
      }
    }
  }

  /** A bound as the driver takes it: whole seconds, at least one, rounded up. */
  static long seconds(Duration d) {
    return Math.max(1, (d.toMillis() + 999) / 1000);
  }
}
