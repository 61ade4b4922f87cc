package io.pgregent.core.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgregent.testsupport.TestCertificates;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The PEM files operators give the agent, read once for every client: a mutual-TLS handshake
 * against a server that requires a client certificate from the same CA, with each key form, and a
 * clear error naming the setting for each unusable file.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PemTlsTests {

  @TempDir static Path dir;
  static TestCertificates certs;

  @BeforeAll
  static void keyMaterial() {
    certs =
        TestCertificates.in(dir)
            .ca("ca", "/CN=regent-test-ca")
            .signed("server", "/CN=127.0.0.1", "ca", "serverAuth", "IP:127.0.0.1")
            .signed("client", "/CN=regent", "ca", "clientAuth", null)
            .ca("other", "/CN=someone-else");
    certs.openssl("rsa", "-in", "client.key", "-traditional", "-out", "client-pkcs1.key");
    certs.openssl(
        "pkcs8",
        "-topk8",
        "-in",
        "client.key",
        "-out",
        "client-enc.key",
        "-passout",
        "pass:s3cret");
    certs.openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ec-sec1.key");
  }

  @Test
  void aClientWithAPkcs8KeyCompletesAMutualTlsHandshake() throws Exception {
    assertThat(handshake(clientKeys("client.key", null))).isEqualTo("CN=regent");
  }

  @Test
  void aPkcs1RsaKeyIsConvertedInMemory() throws Exception {
    assertThat(Files.readString(dir.resolve("client-pkcs1.key")))
        .startsWith("-----BEGIN RSA PRIVATE KEY-----");
    assertThat(handshake(clientKeys("client-pkcs1.key", null))).isEqualTo("CN=regent");
  }

  @Test
  void anEncryptedKeyNeedsItsPassword() throws Exception {
    assertThat(handshake(clientKeys("client-enc.key", "s3cret"))).isEqualTo("CN=regent");
    assertThatThrownBy(() -> clientKeys("client-enc.key", null))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessageStartingWith("x.key: ")
        .hasMessageContaining("is encrypted");
    assertThatThrownBy(() -> clientKeys("client-enc.key", "wrong"))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessageStartingWith("x.key: cannot decrypt");
  }

  @Test
  void aServerFromAnotherCaIsRefusedUnlessVerificationIsOff() {
    SSLContext other =
        PemTls.context(
            clientKeys("client.key", null), PemTls.trust(certs.crt("other"), "x.cacert"));
    assertThatThrownBy(() -> handshake(other)).isInstanceOf(IOException.class);
  }

  @Test
  void unusableFilesNameTheSetting() {
    assertThatThrownBy(() -> PemTls.privateKey(dir.resolve("ec-sec1.key"), "x.key", null))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessageContaining("x.key: ")
        .hasMessageContaining("EC PRIVATE KEY")
        .hasMessageContaining("openssl pkcs8 -topk8");
    assertThatThrownBy(() -> PemTls.privateKey(dir.resolve("missing.key"), "x.key", null))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessage("x.key: cannot read " + dir.resolve("missing.key"));
    assertThatThrownBy(() -> PemTls.trust(certs.key("client"), "x.cacert"))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessageStartingWith("x.cacert: ");
    assertThatThrownBy(() -> PemTls.certificates(certs.key("client"), "x.cert"))
        .isInstanceOf(PemTls.TlsFileException.class)
        .hasMessageStartingWith("x.cert: ");
  }

  private static KeyManager[] clientKeys(String keyFile, String password) {
    return PemTls.keys(certs.crt("client"), "x.cert", dir.resolve(keyFile), "x.key", password);
  }

  private static String handshake(KeyManager[] clientKeys) throws Exception {
    return handshake(PemTls.context(clientKeys, PemTls.trust(certs.crt("ca"), "x.cacert")));
  }

  /** The client certificate's subject as a server that requires one saw it. */
  private static String handshake(SSLContext client) throws Exception {
    SSLContext server =
        PemTls.context(
            PemTls.keys(certs.crt("server"), "s.cert", certs.key("server"), "s.key", null),
            PemTls.trust(certs.crt("ca"), "s.cacert"));
    InetAddress loopback = InetAddress.getLoopbackAddress();
    try (SSLServerSocket listener =
        (SSLServerSocket) server.getServerSocketFactory().createServerSocket(0, 1, loopback)) {
      listener.setNeedClientAuth(true);
      CompletableFuture<String> seen =
          CompletableFuture.supplyAsync(
              () -> {
                try (SSLSocket s = (SSLSocket) listener.accept()) {
                  s.setSoTimeout(30_000);
                  s.startHandshake();
                  String subject =
                      s.getSession().getPeerPrincipal().getName(); // as the server verified it
                  s.getOutputStream().write(1);
                  s.getOutputStream().flush();
                  return subject;
                } catch (IOException e) {
                  return "failed: " + e;
                }
              });
      try (SSLSocket s =
          (SSLSocket) client.getSocketFactory().createSocket(loopback, listener.getLocalPort())) {
        s.setSoTimeout(30_000);
        s.startHandshake();
        InputStream in = s.getInputStream();
        assertThat(in.read()).isEqualTo(1);
        OutputStream out = s.getOutputStream();
        out.flush();
      }
      return seen.get(60, TimeUnit.SECONDS);
    }
  }
}
