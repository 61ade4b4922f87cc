package io.pgregent.agent.rest;

import io.pgregent.agent.config.AgentConfig;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Patroni's {@code restapi.http_extra_headers} on every answer, plus {@code https_extra_headers}
 * when the REST API serves HTTPS.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 1)
public class ExtraHeaders extends OncePerRequestFilter {

  private final Map<String, String> headers = new LinkedHashMap<>();

  public ExtraHeaders(AgentConfig config) {
    collect(config.properties(), "restapi.http_extra_headers.");
    if (config.restapi().tls()
        || RestTls.serverSslProperties(config.properties()).containsKey("server.ssl.enabled")) {
      collect(config.properties(), "restapi.https_extra_headers.");
    }
  }

  private void collect(Map<String, Object> props, String prefix) {
    props.forEach(
        (k, v) -> {
          if (k.startsWith(prefix) && k.length() > prefix.length() && v != null) {
            String name = k.substring(prefix.length());
            String value = String.valueOf(v);
            if (name.matches("[!#$%&'*+.^_`|~0-9A-Za-z-]+") && !value.matches(".*[\\r\\n].*")) {
              headers.put(name, value);
            }
          }
        });
  }

  Map<String, String> headers() {
    return headers;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    headers.forEach(response::setHeader);
    chain.doFilter(request, response);
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    return headers.isEmpty();
  }
}
