package io.pgregent.core.tls;

import java.io.IOException;
import java.io.InputStream;
import java.net.Socket;
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
import java.util.Collection;
import java.util.List;
import javax.crypto.Cipher;
import javax.crypto.EncryptedPrivateKeyInfo;
import javax.crypto.SecretKey;
import javax.crypto.SecretKeyFactory;
import javax.crypto.spec.PBEKeySpec;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS from the PEM files Patroni's settings name (a CA bundle, a certificate chain, a private key):
 * one reading of them for every client the agent and {@code regentctl} make. Keys: PKCS #8 ({@code
 * BEGIN PRIVATE KEY}), encrypted PKCS #8 with a password, and PKCS #1 RSA ({@code BEGIN RSA PRIVATE
 * KEY}, as many certificate tools write it), converted in memory. Every failure is a {@link
 * TlsFileException} naming the setting and the file.
 */
public final class PemTls {

  private static final String PKCS1 = "RSA PRIVATE KEY";
  private static final String PKCS8 = "PRIVATE KEY";
  private static final String ENCRYPTED = "ENCRYPTED PRIVATE KEY";

  private PemTls() {}

  /** An unusable TLS file or setting; the message names the setting. */
  public static final class TlsFileException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    TlsFileException(String message, Throwable cause) {
      super(message, cause);
    }
  }

  /** A TLS context with these managers; null for the JDK's defaults. */
  public static SSLContext context(KeyManager[] keys, TrustManager[] trust) {
    try {
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, trust, null);
      return ctx;
    } catch (GeneralSecurityException e) {
      throw new TlsFileException("cannot set up TLS: " + e.getMessage(), e);
    }
  }

  /** Trust in the CAs of the PEM bundle {@code cacert} (setting {@code setting}). */
  public static TrustManager[] trust(Path cacert, String setting) {
    try {
      KeyStore ks = emptyStore(KeyStore.getDefaultType());
      int i = 0;
      for (Certificate c : certificates(cacert, setting)) {
        ks.setCertificateEntry("ca" + i++, c);
      }
      TrustManagerFactory tmf =
          TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
      tmf.init(ks);
      return tmf.getTrustManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(setting + ": cannot use " + cacert + ": " + e.getMessage(), e);
    }
  }

  /** Any server certificate accepted: the operator chose not to verify ({@code verify: false}). */
  public static TrustManager[] trustAll() {
    return new TrustManager[] {new TrustAll()};
  }

  /**
   * The client identity of the certificate chain {@code cert} and the key {@code key} ({@code
   * password} null for an unencrypted key).
   */
  public static KeyManager[] keys(
      Path cert, String certSetting, Path key, String keySetting, String password) {
    try {
      List<Certificate> chain = certificates(cert, certSetting);
      KeyStore ks = emptyStore("PKCS12");
      char[] none = new char[0];
      ks.setKeyEntry(
          "client", privateKey(key, keySetting, password), none, chain.toArray(new Certificate[0]));
      KeyManagerFactory kmf =
          KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
      kmf.init(ks, none);
      return kmf.getKeyManagers();
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(
          certSetting
              + "/"
              + keySetting
              + ": cannot use "
              + cert
              + " with "
              + key
              + ": "
              + e.getMessage(),
          e);
    }
  }

  /** The certificates of the PEM file {@code file}; at least one. */
  public static List<Certificate> certificates(Path file, String setting) {
    try (InputStream in = Files.newInputStream(readable(file, setting))) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new TlsFileException(setting + ": no certificate in " + file, null);
      }
      return List.copyOf(certs);
    } catch (GeneralSecurityException e) {
      throw new TlsFileException(
          setting + ": " + file + " is not a PEM certificate: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new TlsFileException(setting + ": cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  /** The private key of the PEM file {@code file}; {@code password} for an encrypted one. */
  public static PrivateKey privateKey(Path file, String setting, String password) {
    String pem;
    try {
      pem = Files.readString(readable(file, setting), StandardCharsets.US_ASCII);
    } catch (IOException e) {
      throw new TlsFileException(setting + ": cannot read " + file + ": " + e.getMessage(), e);
    }
    String type = pemType(pem);
    if (type == null || !(type.equals(PKCS1) || type.equals(PKCS8) || type.equals(ENCRYPTED))) {
      throw new TlsFileException(
          setting
              + ": "
              + file
              + " holds no PKCS #8 or RSA private key"
              + (type == null ? "" : " (" + type + ")")
              + "; convert it: openssl pkcs8 -topk8 -nocrypt -in KEY",
          null);
    }
    byte[] der;
    try {
      der = Base64.getMimeDecoder().decode(pemBody(pem));
    } catch (IllegalArgumentException e) {
      throw new TlsFileException(setting + ": " + file + " is not valid PEM", e);
    }
    try {
      PKCS8EncodedKeySpec spec;
      if (type.equals(ENCRYPTED)) {
        if (password == null) {
          throw new TlsFileException(
              setting + ": " + file + " is encrypted: set its password", null);
        }
        EncryptedPrivateKeyInfo info = new EncryptedPrivateKeyInfo(der);
        // openssl 3 writes PBES2; the JDK names its cipher through the parameters only
        // (e.g. PBEWithHmacSHA256AndAES_256).
        String algorithm =
            info.getAlgName().equals("PBES2") || info.getAlgName().equals("1.2.840.113549.1.5.13")
                ? info.getAlgParameters().toString()
                : info.getAlgName();
        SecretKey secret =
            SecretKeyFactory.getInstance(algorithm)
                .generateSecret(new PBEKeySpec(password.toCharArray()));
        Cipher cipher = Cipher.getInstance(algorithm);
        cipher.init(Cipher.DECRYPT_MODE, secret, info.getAlgParameters());
        spec = info.getKeySpec(cipher);
      } else {
        spec = new PKCS8EncodedKeySpec(type.equals(PKCS1) ? pkcs1ToPkcs8(der) : der);
      }
      for (String algorithm : List.of("RSA", "EC", "Ed25519")) {
        try {
          return KeyFactory.getInstance(algorithm).generatePrivate(spec);
        } catch (GeneralSecurityException e) {
          // try the next algorithm
        }
      }
    } catch (GeneralSecurityException | IOException e) {
      throw new TlsFileException(
          setting + ": cannot decrypt " + file + " (wrong password?): " + e.getMessage(), e);
    }
    throw new TlsFileException(setting + ": " + file + " is not an RSA, EC or Ed25519 key", null);
  }

  /** The type of the first PEM block ({@code PRIVATE KEY}, {@code CERTIFICATE}, ...), or null. */
  public static String pemType(String pem) {
    int begin = pem.indexOf("-----BEGIN ");
    if (begin < 0) {
      return null;
    }
    int end = pem.indexOf("-----", begin + 11);
    return end < 0 ? null : pem.substring(begin + 11, end);
  }

  private static String pemBody(String pem) {
    int start = pem.indexOf("-----", pem.indexOf("-----BEGIN ") + 11) + 5;
    int end = pem.indexOf("-----END", start);
    return pem.substring(start, end < 0 ? pem.length() : end);
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

  private static KeyStore emptyStore(String type) throws GeneralSecurityException, IOException {
    KeyStore ks = KeyStore.getInstance(type);
    ks.load(null, null);
    return ks;
  }

  private static Path readable(Path file, String setting) {
    if (file == null || !Files.isReadable(file)) {
      throw new TlsFileException(setting + ": cannot read " + file, null);
    }
    return file;
  }

  /** No certificate or host name checks (a plain X509TrustManager would still get the latter). */
  private static final class TrustAll extends X509ExtendedTrustManager {
    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) {}

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket) {}

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket) {}

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
