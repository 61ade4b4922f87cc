package io.pgregent.agent.rest;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A minimal HTTP/1.1 client over a plain socket, so tests can send what well-behaved clients never
 * do (no Content-Length, malformed targets, arbitrary bytes) and see the status line as it is.
 */
final class RawHttp {

  record Response(int status, Map<String, String> headers, byte[] body) {
    String text() {
      return new String(body, StandardCharsets.UTF_8);
    }
  }

  private RawHttp() {}

  static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  static Response send(
      int port,
      String method,
      String target,
      Map<String, String> headers,
      byte[] body,
      boolean contentLength)
      throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress("127.0.0.1", port), 2000);
      s.setSoTimeout(30_000);
      ByteArrayOutputStream req = new ByteArrayOutputStream();
      req.write((method + " " + target + " HTTP/1.1\r\n").getBytes(StandardCharsets.ISO_8859_1));
      req.write(
          ("Host: 127.0.0.1:" + port + "\r\nConnection: close\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      for (Map.Entry<String, String> h : headers.entrySet()) {
        req.write(
            (h.getKey() + ": " + h.getValue() + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
      if (body != null && contentLength) {
        req.write(
            ("Content-Length: " + body.length + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      }
      req.write("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      if (body != null) {
        req.write(body);
      }
      OutputStream out = s.getOutputStream();
      out.write(req.toByteArray());
      out.flush();
      if (body != null && !contentLength) {
        s.shutdownOutput();
      }
      return parse(s.getInputStream(), method.equals("HEAD"));
    }
  }

  static Response send(int port, String method, String target, String auth, String body)
      throws IOException {
    Map<String, String> headers = new LinkedHashMap<>();
    if (auth != null) {
      headers.put("Authorization", auth);
    }
    if (body != null) {
      headers.put("Content-Type", "application/json");
    }
    return send(
        port,
        method,
        target,
        headers,
        body == null ? null : body.getBytes(StandardCharsets.UTF_8),
        true);
  }

  private static Response parse(InputStream in, boolean head) throws IOException {
    byte[] all = in.readAllBytes();
    String text = new String(all, StandardCharsets.ISO_8859_1);
    int end = text.indexOf("\r\n\r\n");
    if (end < 0) {
      throw new IOException("no complete response: " + text);
    }
    String[] lines = text.substring(0, end).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new LinkedHashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int c = lines[i].indexOf(':');
      if (c > 0) {
        headers.put(
            lines[i].substring(0, c).trim().toLowerCase(Locale.ROOT),
            lines[i].substring(c + 1).trim());
      }
    }
    byte[] rest = java.util.Arrays.copyOfRange(all, end + 4, all.length);
    if ("chunked".equalsIgnoreCase(headers.get("transfer-encoding"))) {
      rest = dechunk(rest);
    }
    return new Response(status, headers, head ? new byte[0] : rest);
  }

  private static byte[] dechunk(byte[] raw) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int i = 0;
    while (i < raw.length) {
      int lineEnd = i;
      while (lineEnd + 1 < raw.length && !(raw[lineEnd] == '\r' && raw[lineEnd + 1] == '\n')) {
        lineEnd++;
      }
      String sizeText = new String(raw, i, lineEnd - i, StandardCharsets.ISO_8859_1).trim();
      int semi = sizeText.indexOf(';');
      int size = Integer.parseInt(semi < 0 ? sizeText : sizeText.substring(0, semi), 16);
      if (size == 0) {
        break;
      }
      out.write(raw, lineEnd + 2, size);
      i = lineEnd + 2 + size + 2;
    }
    return out.toByteArray();
  }
}
