package io.pgregent.dcs.consul;

import io.pgregent.core.dcs.DcsConfigurationException;
import io.pgregent.core.tls.PemTls;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManager;

/** The TLS context for {@code consul.cacert}, {@code cert}, {@code key} and {@code verify}. */
final class ConsulTls {

  private ConsulTls() {}

  static SSLContext sslContext(ConsulSettings settings) {
    try {
      TrustManager[] trust = null;
      if (!settings.verify()) {
        trust = PemTls.trustAll(); // consul.verify: false, as Patroni does
      } else if (settings.cacert() != null) {
        trust = PemTls.trust(settings.cacert(), "consul.cacert");
      }
      KeyManager[] keys = null;
      if (settings.cert() != null) {
        keys = PemTls.keys(settings.cert(), "consul.cert", settings.key(), "consul.key", null);
      }
      return PemTls.context(keys, trust);
    } catch (PemTls.TlsFileException e) {
      throw new DcsConfigurationException("consul: " + e.getMessage(), e);
    }
  }
}
