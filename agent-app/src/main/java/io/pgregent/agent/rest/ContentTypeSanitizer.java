package io.pgregent.agent.rest;

import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.Collections;
import java.util.Enumeration;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Patroni ignores a request's Content-Type; Spring fails on some (a wildcard such as {@code
 * *}/{@code *} is an internal error there). A Content-Type that is no concrete media type is read
 * as {@code application/octet-stream}, so any body reaches the handlers, which parse JSON
 * themselves.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE)
public class ContentTypeSanitizer extends OncePerRequestFilter {

  private static final String OCTETS = MediaType.APPLICATION_OCTET_STREAM_VALUE;

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    String type = request.getContentType();
    if (type == null || concrete(type)) {
      chain.doFilter(request, response);
      return;
    }
    chain.doFilter(
        new HttpServletRequestWrapper(request) {
          @Override
          public String getContentType() {
            return OCTETS;
          }

          @Override
          public String getHeader(String name) {
            return "content-type".equalsIgnoreCase(name) ? OCTETS : super.getHeader(name);
          }

          @Override
          public Enumeration<String> getHeaders(String name) {
            return "content-type".equalsIgnoreCase(name)
                ? Collections.enumeration(java.util.List.of(OCTETS))
                : super.getHeaders(name);
          }
        },
        response);
  }

  static boolean concrete(String type) {
    try {
      MediaType m = MediaType.parseMediaType(type);
      return !m.isWildcardType() && !m.isWildcardSubtype();
    } catch (IllegalArgumentException e) {
      return false;
    }
  }
}
