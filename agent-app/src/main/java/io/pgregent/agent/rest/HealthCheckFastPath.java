package io.pgregent.agent.rest;

import io.pgregent.agent.rest.HealthRules.Check;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;
import org.springframework.core.Ordered;
import org.springframework.core.annotation.Order;
import org.springframework.http.HttpMethod;
import org.springframework.http.ResponseEntity;
import org.springframework.stereotype.Component;
import org.springframework.web.filter.OncePerRequestFilter;

/**
 * Answers Patroni's health checks (GET, HEAD, OPTIONS on their exact paths) before Spring MVC's
 * dispatch, with {@link PatroniStatusController}'s own answer: load balancers call them many times
 * a second, and this path allocates little. Anything else (other paths, other methods, path
 * parameters) goes through the controllers as usual and gets the same answer there.
 */
@Component
@Order(Ordered.HIGHEST_PRECEDENCE + 20)
public class HealthCheckFastPath extends OncePerRequestFilter {

  private final PatroniStatusController controller;

  public HealthCheckFastPath(PatroniStatusController controller) {
    this.controller = controller;
  }

  @Override
  protected boolean shouldNotFilter(HttpServletRequest request) {
    String m = request.getMethod();
    return !(m.equals("GET") || m.equals("HEAD") || m.equals("OPTIONS"))
        || Check.byPath(request.getRequestURI()) == null;
  }

  @Override
  protected void doFilterInternal(
      HttpServletRequest request, HttpServletResponse response, FilterChain chain)
      throws ServletException, IOException {
    Check check = Check.byPath(request.getRequestURI());
    Map<String, String> query = new HashMap<>();
    if (request.getQueryString() != null) {
      request.getParameterMap().forEach((k, v) -> query.put(k, v.length > 0 ? v[0] : ""));
    }
    HttpMethod method = HttpMethod.valueOf(request.getMethod());
    ResponseEntity<byte[]> answer = controller.check(check, method, query);
    response.setStatus(answer.getStatusCode().value());
    byte[] body = answer.getBody();
    if (body != null && method == HttpMethod.GET) {
      response.setContentType("application/json");
      response.setContentLength(body.length);
      response.getOutputStream().write(body);
    }
  }
}
