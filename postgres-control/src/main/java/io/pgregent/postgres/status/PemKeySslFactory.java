package io.pgregent.postgres.status;

import java.io.IOException;
import java.io.InputStream;
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
import java.util.Base64;
import java.util.Properties;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;
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
    char[] none = new char[0];
    KeyStore keys = KeyStore.getInstance("PKCS12");
    keys.load(null, null);
    Certificate[] chain = certificates(Path.of(info.getProperty("sslcert")));
    keys.setKeyEntry("user", privateKey(Path.of(info.getProperty("sslkey"))), none, chain);
    KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
    kmf.init(keys, none);
    SSLContext ctx = SSLContext.getInstance("TLS");
    ctx.init(kmf.getKeyManagers(), trustManagers(info), null);
    factory = ctx.getSocketFactory();
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
      header = pemType(Files.readString(Path.of(keyFile), StandardCharsets.US_ASCII));
    } catch (IOException | RuntimeException ex) {
      return false; // the driver reports an unreadable key itself
    }
    boolean pemName = keyFile.endsWith(".key") || keyFile.endsWith(".pem");
    return PKCS1.equals(header) || (PKCS8.equals(header) && !pemName);
  }

  private static String pemType(String pem) {
    int begin = pem.indexOf("-----BEGIN ");
    if (begin < 0) {
      return null;
    }
    int end = pem.indexOf("-----", begin + 11);
    return end < 0 ? null : pem.substring(begin + 11, end);
  }

  private static PrivateKey privateKey(Path file) throws IOException, GeneralSecurityException {
    String pem = Files.readString(file, StandardCharsets.US_ASCII);
    String type = pemType(pem);
    String body =
        pem.substring(pem.indexOf("-----", pem.indexOf("-----BEGIN ") + 11) + 5)
            .replaceAll("-----END[^-]*-----", "")
            .replaceAll("\\s", "");
    byte[] der = Base64.getDecoder().decode(body);
    if (PKCS1.equals(type)) {
      der = pkcs1ToPkcs8(der);
    }
    return KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(der));
  }

  /**
   * Wraps an RSAPrivateKey in PrivateKeyInfo: version 0, rsaEncryption, the key as OCTET STRING.
   */
  static byte[] pkcs1ToPkcs8(byte[] pkcs1) {
    byte[] algorithm = {
      0x02,
      0x01,
      0x00, // INTEGER 0
      0x30,
      0x0d,
      0x06,
      0x09,
      0x2a,
      (byte) 0x86,
      0x48,
      (byte) 0x86,
      (byte) 0xf7,
      0x0d,
      0x01,
      0x01,
      0x01,
      0x05,
      0x00 // SEQUENCE { OID rsaEncryption, NULL }
    };
    byte[] octets = der(0x04, pkcs1);
    byte[] content = new byte[algorithm.length + octets.length];
    System.arraycopy(algorithm, 0, content, 0, algorithm.length);
    System.arraycopy(octets, 0, content, algorithm.length, octets.length);
    return der(0x30, content);
  }

  private static byte[] der(int tag, byte[] content) {
    int n = content.length;
    byte[] len =
        n < 0x80
            ? new byte[] {(byte) n}
            : n < 0x100
                ? new byte[] {(byte) 0x81, (byte) n}
                : n < 0x10000
                    ? new byte[] {(byte) 0x82, (byte) (n >> 8), (byte) n}
                    : new byte[] {(byte) 0x83, (byte) (n >> 16), (byte) (n >> 8), (byte) n};
    byte[] out = new byte[1 + len.length + n];
    out[0] = (byte) tag;
    System.arraycopy(len, 0, out, 1, len.length);
    System.arraycopy(content, 0, out, 1 + len.length, n);
    return out;
  }

  private static Certificate[] certificates(Path file)
      throws IOException, GeneralSecurityException {
    try (InputStream in = Files.newInputStream(file)) {
      return CertificateFactory.getInstance("X.509")
          .generateCertificates(in)
          .toArray(new Certificate[0]);
    }
  }

  private static TrustManager[] trustManagers(Properties info)
      throws IOException, GeneralSecurityException {
    String mode = info.getProperty("sslmode", "prefer");
    if (!mode.startsWith("verify")) {
      // libpq's require/prefer/allow: encrypted, the server not verified
      return new TrustManager[] {new TrustingManager()};
    }
    String root = info.getProperty("sslrootcert");
    if (root == null) {
      root = System.getProperty("user.home") + "/.postgresql/root.crt";
    }
    KeyStore cas = KeyStore.getInstance(KeyStore.getDefaultType());
    cas.load(null, null);
    int i = 0;
    for (Certificate c : certificates(Path.of(root))) {
      cas.setCertificateEntry("ca" + i++, c);
    }
    TrustManagerFactory tmf =
        TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(cas);
    return tmf.getTrustManagers();
  }

  private static final class TrustingManager implements X509TrustManager {
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
