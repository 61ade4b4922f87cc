package io.pgregent.postgres.status;

import io.pgregent.core.tls.PemTls;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Properties;
import javax.net.ssl.KeyManager;
import javax.net.ssl.TrustManager;
import org.postgresql.ssl.WrappedFactory;

/**
 * The driver's SSL socket factory for a client key it cannot read itself: a PEM key in PKCS #1
 * ({@code BEGIN RSA PRIVATE KEY}, as many certificate tools write it) or a PEM PKCS #8 key whose
 * name does not end in {@code .key} or {@code .pem}. The key is converted in memory; the server is
 * verified as libpq does for {@code sslmode} (the CA of {@code sslrootcert} for {@code verify-ca}
 * and {@code verify-full}, the host name then checked by the driver itself).
 */
public final class PemKeySslFactory extends WrappedFactory {

  private static final String PKCS1 = "RSA PRIVATE KEY";
  private static final String PKCS8 = "PRIVATE KEY";

  /** Called by the driver with the connection's properties. */
  public PemKeySslFactory(Properties info) throws GeneralSecurityException, IOException {
    KeyManager[] keys =
        PemTls.keys(
            Path.of(info.getProperty("sslcert")),
            "sslcert",
            Path.of(info.getProperty("sslkey")),
            "sslkey",
            info.getProperty("sslpassword"));
    factory = PemTls.context(keys, trustManagers(info)).getSocketFactory();
  }

  /**
   * Whether the driver needs this factory for {@code keyFile}: a readable PEM key it would not
   * parse (it reads PEM PKCS #8 only from {@code *.key} and {@code *.pem}).
   */
  static boolean needed(String keyFile) {
    if (keyFile == null) {
      return false;
    }
    String header;
    try {
      header = PemTls.pemType(Files.readString(Path.of(keyFile), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException ex) {
      return false; // the driver reports an unreadable key itself
    }
    boolean pemName = keyFile.endsWith(".key") || keyFile.endsWith(".pem");
    return PKCS1.equals(header) || (PKCS8.equals(header) && !pemName);
  }

  private static TrustManager[] trustManagers(Properties info)
      throws IOException, GeneralSecurityException {
    String mode = info.getProperty("sslmode", "prefer");
    if (!mode.startsWith("verify")) {
      // libpq's require/prefer/allow: encrypted, the server not verified
      return PemTls.trustAll();
    }
    String root = info.getProperty("sslrootcert");
    if (root == null) {
      root = System.getProperty("user.home") + "/.postgresql/root.crt";
    }
    return PemTls.trust(Path.of(root), "sslrootcert");
  }
}
