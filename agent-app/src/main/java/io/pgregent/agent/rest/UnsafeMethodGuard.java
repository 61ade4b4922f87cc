package io.pgregent.agent.rest;

import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.loop.AgentSnapshot;
import io.pgregent.agent.loop.HaLoop;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.Member;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.math.BigInteger;
import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Guards Patroni's unsafe methods (every method but GET, HEAD and OPTIONS), in Patroni's order:
 * {@code restapi.allowlist} (plus the members' addresses with {@code allowlist_include_members}) →
 * a client certificate when {@code verify_client: optional} → HTTP Basic authentication with {@code
 * restapi.authentication}. Safe methods are never guarded, as in Patroni.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 10)
public class UnsafeMethodGuard extends OncePerRequestFilter {

  private static final Logger log = LoggerFactory.getLogger(UnsafeMethodGuard.class);
  private static final Set<String> SAFE = Set.of("GET", "HEAD", "OPTIONS");
  private static final Set<String> UNSAFE = Set.of("POST", "PUT", "PATCH", "DELETE");

  private final HaLoop loop;
  private final List<Network> allowlist;
  private final boolean includeMembers;
  private final boolean clientCertRequired;

  public UnsafeMethodGuard(HaLoop loop, AgentConfig config) {
    this.loop = loop;
    Map<String, Object> props = config.properties();
    this.allowlist = new ArrayList<>();
    for (String entry : listProperty(props, "restapi.allowlist")) {
      allowlist.addAll(Network.parse(entry));
    }
    this.includeMembers =
        Boolean.parseBoolean(
            String.valueOf(props.getOrDefault("restapi.allowlist_include_members", "false")));
    this.clientCertRequired =
        "optional"
            .equalsIgnoreCase(String.valueOf(props.getOrDefault("restapi.verify_client", "none")));
  }

  /** {@code key[0]}, {@code key[1]}, ... or a single (comma-separated) {@code key}. */
  static List<String> listProperty(Map<String, Object> props, String key) {
    Map<Integer, String> indexed = new TreeMap<>();
    props.forEach(
        (k, v) -> {
          if (k.startsWith(key + "[") && k.endsWith("]")) {
            try {
              indexed.put(
                  Integer.parseInt(k.substring(key.length() + 1, k.length() - 1)),
                  String.valueOf(v));
            } catch (NumberFormatException e) {
              // not an index
            }
          }
        });
    List<String> out = new ArrayList<>(indexed.values());
    Object single = props.get(key);
    if (single != null) {
      for (String s : String.valueOf(single).split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim());
        }
      }
    }
    return out;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    if (SAFE.contains(request.getMethod().toUpperCase(Locale.ROOT))) {
      chain.doFilter(request, response);
      return;
    }
    if (!UNSAFE.contains(request.getMethod())) {
      // the servlet container would answer 501 to a method it does not know
      response.setHeader("Allow", "GET, HEAD, OPTIONS, POST, PUT, PATCH, DELETE");
      reject(response, 405, "Method Not Allowed");
      return;
    }
    if (!allowed(request.getRemoteAddr())) {
      log.info(
          "{} {} from {} refused: not in the allowlist",
          request.getMethod(),
          request.getRequestURI(),
          request.getRemoteAddr());
      reject(response, 403, "Access is denied");
      return;
    }
    if (clientCertRequired) {
      Object certs = request.getAttribute("jakarta.servlet.request.X509Certificate");
      if (!(certs instanceof X509Certificate[] c) || c.length == 0) {
        reject(response, 403, "client certificate required");
        return;
      }
    }
    // Read per request: a reload of the local configuration may change them.
    byte[] expectedCredentials = expectedCredentials();
    if (expectedCredentials != null) {
      String header = request.getHeader("Authorization");
      if (header == null) {
        response.setHeader("WWW-Authenticate", "Basic realm=\"Patroni\"");
        reject(response, 401, "no auth header received");
        return;
      }
      if (!credentialsMatch(header, expectedCredentials)) {
        log.info(
            "{} {} from {} refused: not authenticated",
            request.getMethod(),
            request.getRequestURI(),
            request.getRemoteAddr());
        response.setHeader("WWW-Authenticate", "Basic realm=\"Patroni\"");
        reject(response, 401, "not authenticated");
        return;
      }
    }
    chain.doFilter(request, response);
  }

  private byte[] expectedCredentials() {
    String user = loop.config().restapi().username();
    String password = loop.config().restapi().password();
    return user == null || password == null
        ? null
        : (user + ":" + password).getBytes(StandardCharsets.UTF_8);
  }

  private static boolean credentialsMatch(String header, byte[] expectedCredentials) {
    if (!header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return false;
    }
    byte[] given;
    try {
      given = Base64.getDecoder().decode(header.substring(6).trim());
    } catch (IllegalArgumentException e) {
      return false;
    }
    return MessageDigest.isEqual(given, expectedCredentials);
  }

  private boolean allowed(String remote) {
    if (allowlist.isEmpty() && !includeMembers) {
      return true;
    }
    InetAddress address;
    try {
      address = InetAddress.getByName(remote);
    } catch (UnknownHostException e) {
      return false;
    }
    for (Network n : allowlist) {
      if (n.contains(address)) {
        return true;
      }
    }
    if (includeMembers) {
      Optional<ClusterView> view = loop.snapshot().flatMap(AgentSnapshot::view);
      for (Member m : view.map(v -> v.members().values()).orElse(List.of())) {
        Optional<String> host = m.apiUrl().map(UnsafeMethodGuard::hostOf);
        if (host.isPresent()) {
          for (Network n : Network.parse(host.get())) {
            if (n.contains(address)) {
              return true;
            }
          }
        }
      }
    }
    return false;
  }

  private static String hostOf(String url) {
    try {
      String host = URI.create(url).getHost();
      return host == null ? "" : host;
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static void reject(HttpServletResponse response, int status, String message)
      throws IOException {
    response.setStatus(status);
    response.setContentType("text/html; charset=utf-8");
    response.getOutputStream().write(message.getBytes(StandardCharsets.UTF_8));
  }

  /** An address or a CIDR block; hostnames resolve to each of their addresses. */
  record Network(byte[] prefix, int bits) {

    static List<Network> parse(String entry) {
      String e = entry.trim();
      if (e.isEmpty()) {
        return List.of();
      }
      int slash = e.indexOf('/');
      try {
        if (slash >= 0) {
          InetAddress a = InetAddress.getByName(e.substring(0, slash));
          int bits = Integer.parseInt(e.substring(slash + 1));
          return List.of(new Network(a.getAddress(), bits));
        }
        List<Network> out = new ArrayList<>();
        for (InetAddress a : InetAddress.getAllByName(e)) {
          out.add(new Network(a.getAddress(), a.getAddress().length * 8));
        }
        return out;
      } catch (UnknownHostException | NumberFormatException ex) {
        log.warn("restapi.allowlist: cannot resolve {}", e);
        return List.of();
      }
    }

    boolean contains(InetAddress address) {
      byte[] a = address.getAddress();
      if (a.length != prefix.length) {
        return false;
      }
      int width = prefix.length * 8;
      int b = Math.max(0, Math.min(bits, width));
      BigInteger mask =
          b == 0
              ? BigInteger.ZERO
              : BigInteger.ONE.shiftLeft(b).subtract(BigInteger.ONE).shiftLeft(width - b);
      return new BigInteger(1, a).and(mask).equals(new BigInteger(1, prefix).and(mask));
    }
  }
}
