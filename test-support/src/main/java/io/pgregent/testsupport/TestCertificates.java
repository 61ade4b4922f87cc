package io.pgregent.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Throwaway key material for the TLS tests, made with the real {@code openssl} as an operator makes
 * it: PEM certificates ({@code <name>.crt}) and unencrypted PKCS #8 keys ({@code <name>.key}, RSA
 * 2048), valid for two days, all in one directory.
 */
public final class TestCertificates {

  private final Path dir;

  private TestCertificates(Path dir) {
    this.dir = dir;
  }

  /** Key material written to {@code dir} (which must exist). */
  public static TestCertificates in(Path dir) {
    return new TestCertificates(dir);
  }

  /** A self-signed CA {@code name} with the given subject, e.g. {@code /CN=regent-test-ca}. */
  public TestCertificates ca(String name, String subject) {
    return selfSigned(name, subject, null);
  }

  /** A self-signed certificate; {@code subjectAltName} (e.g. {@code IP:127.0.0.1}) may be null. */
  public TestCertificates selfSigned(String name, String subject, String subjectAltName) {
    List<String> args = newKey(name, name + ".crt", subject);
    args.addAll(List.of("-x509", "-days", "2"));
    if (subjectAltName != null) {
      args.addAll(List.of("-addext", "subjectAltName=" + subjectAltName));
    }
    openssl(args.toArray(String[]::new));
    return this;
  }

  /**
   * A certificate {@code name} signed by the CA {@code ca}; {@code extendedKeyUsage} (e.g. {@code
   * serverAuth,clientAuth}) and {@code subjectAltName} may be null.
   */
  public TestCertificates signed(
      String name, String subject, String ca, String extendedKeyUsage, String subjectAltName) {
    openssl(newKey(name, name + ".csr", subject).toArray(String[]::new));
    return sign(name, ca, extendedKeyUsage, subjectAltName);
  }

  /** Signs the request {@code <name>.csr} with the CA {@code ca} into {@code <name>.crt}. */
  public TestCertificates sign(
      String name, String ca, String extendedKeyUsage, String subjectAltName) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "x509",
                "-req",
                "-days",
                "2",
                "-in",
                name + ".csr",
                "-CA",
                ca + ".crt",
                "-CAkey",
                ca + ".key",
                "-CAcreateserial",
                "-out",
                name + ".crt"));
    StringBuilder ext = new StringBuilder();
    if (subjectAltName != null) {
      ext.append("subjectAltName=").append(subjectAltName).append('\n');
    }
    if (extendedKeyUsage != null) {
      ext.append("extendedKeyUsage=").append(extendedKeyUsage).append('\n');
    }
    if (ext.length() > 0) {
      write(name + ".ext", ext.toString());
      args.addAll(List.of("-extfile", name + ".ext"));
    }
    openssl(args.toArray(String[]::new));
    return this;
  }

  /** {@code name}'s key and certificate as a PKCS #12 keystore {@code <name>.p12}. */
  public Path pkcs12(String name, String password) {
    openssl(
        "pkcs12",
        "-export",
        "-name",
        name,
        "-inkey",
        name + ".key",
        "-in",
        name + ".crt",
        "-out",
        name + ".p12",
        "-passout",
        "pass:" + password);
    return p12(name);
  }

  public Path crt(String name) {
    return dir.resolve(name + ".crt");
  }

  public Path key(String name) {
    return dir.resolve(name + ".key");
  }

  public Path p12(String name) {
    return dir.resolve(name + ".p12");
  }

  public Path dir() {
    return dir;
  }

  /** Runs {@code openssl args…} in the directory; its output is in the exception if it fails. */
  public void openssl(String... args) {
    List<String> cmd = new ArrayList<>(List.of("openssl"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException(String.join(" ", cmd) + ": no answer in 60 s");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot run openssl (Debian's openssl package)", e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while running openssl", e);
    }
  }

  private static List<String> newKey(String name, String out, String subject) {
    return new ArrayList<>(
        List.of(
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            name + ".key",
            "-out",
            out,
            "-subj",
            subject));
  }

  private void write(String file, String text) {
    try {
      Files.writeString(dir.resolve(file), text, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
