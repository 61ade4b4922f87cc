package io.pgregent.dcs.consul;

import io.pgregent.core.dcs.DcsConfigurationException;
import java.io.IOException;
import java.io.InputStream;
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
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

/** The TLS context for {@code consul.cacert}, {@code cert}, {@code key} and {@code verify}. */
final class ConsulTls {

  private ConsulTls() {}

  static SSLContext sslContext(ConsulSettings settings) {
    try {
      TrustManager[] trust = null;
      if (!settings.verify()) {
        trust = new TrustManager[] {new TrustAll()};
      } else if (settings.cacert() != null) {
        KeyStore ts = KeyStore.getInstance(KeyStore.getDefaultType());
        ts.load(null, null);
        int i = 0;
        for (Certificate c : certificates(settings.cacert(), "consul.cacert")) {
          ts.setCertificateEntry("ca" + i++, c);
        }
        TrustManagerFactory tmf =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ts);
        trust = tmf.getTrustManagers();
      }
      javax.net.ssl.KeyManager[] keys = null;
      if (settings.cert() != null) {
        Collection<? extends Certificate> chain = certificates(settings.cert(), "consul.cert");
        PrivateKey key = privateKey(settings.key());
        KeyStore ks = KeyStore.getInstance(KeyStore.getDefaultType());
        ks.load(null, null);
        char[] none = new char[0];
        ks.setKeyEntry("client", key, none, chain.toArray(new Certificate[0]));
        KeyManagerFactory kmf =
            KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, none);
        keys = kmf.getKeyManagers();
      }
      SSLContext ctx = SSLContext.getInstance("TLS");
      ctx.init(keys, trust, null);
      return ctx;
    } catch (GeneralSecurityException | IOException e) {
      throw new DcsConfigurationException(
          "consul: cannot use consul.cacert/consul.cert/consul.key: " + e.getMessage(), e);
    }
  }

  private static Collection<? extends Certificate> certificates(Path file, String setting)
      throws IOException {
    try (InputStream in = Files.newInputStream(readable(file, setting))) {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(in);
      if (certs.isEmpty()) {
        throw new DcsConfigurationException(setting + ": no certificate in " + file, null);
      }
      return certs;
    } catch (GeneralSecurityException e) {
      throw new DcsConfigurationException(
          setting + ": " + file + " is not a PEM certificate: " + e.getMessage(), e);
    }
  }

  static PrivateKey privateKey(Path file) throws IOException {
    String pem = Files.readString(readable(file, "consul.key"));
    if (pem.contains("BEGIN RSA PRIVATE KEY") || pem.contains("BEGIN EC PRIVATE KEY")) {
      throw new DcsConfigurationException(
          "consul.key: "
              + file
              + " is a PKCS#1/SEC1 key; convert it to PKCS#8 (openssl pkcs8 -topk8 -nocrypt)",
          null);
    }
    int begin = pem.indexOf("-----BEGIN PRIVATE KEY-----");
    int end = pem.indexOf("-----END PRIVATE KEY-----");
    if (begin < 0 || end < begin) {
      throw new DcsConfigurationException(
          "consul.key: " + file + " holds no unencrypted PKCS#8 private key", null);
    }
    byte[] der =
        Base64.getMimeDecoder()
            .decode(pem.substring(begin + "-----BEGIN PRIVATE KEY-----".length(), end));
    for (String algorithm : new String[] {"RSA", "EC", "Ed25519"}) {
      try {
        return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
      } catch (GeneralSecurityException e) {
        // try the next algorithm
      }
    }
    throw new DcsConfigurationException(
        "consul.key: " + file + " is not an RSA, EC or Ed25519 key", null);
  }

  private static Path readable(Path file, String setting) {
    if (!Files.isReadable(file)) {
      throw new DcsConfigurationException(setting + ": cannot read " + file, null);
    }
    return file;
  }

  /** {@code consul.verify: false}: any server certificate is accepted, as Patroni does. */
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
