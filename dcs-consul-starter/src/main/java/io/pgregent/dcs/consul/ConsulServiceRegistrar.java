package io.pgregent.dcs.consul;

import io.pgregent.core.cluster.Member;
import io.pgregent.core.dcs.DcsRetry;
import io.pgregent.core.dcs.DcsTimings;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Registers the member in Consul's catalogue as Patroni does, so that {@code
 * primary.<scope>.service.consul} finds the leader: a service named after the scope, id {@code
 * <scope>/<name>}, tagged with the member's role, with an HTTP check on the REST API's endpoint for
 * that role. Driven by the member data the HA loop publishes each cycle: a new role re-registers
 * the service with the new tag and check; a stopped member, and a clean shutdown, deregister it.
 *
 * <p>A failure is logged and tried again on the next cycle; it never fails the HA loop.
 */
final class ConsulServiceRegistrar {

  private static final Logger log = LoggerFactory.getLogger(ConsulServiceRegistrar.class);
  static final List<String> ROLES = List.of("primary", "replica", "standby-leader");

  private final ConsulSettings settings;
  private final ConsulHttp http;
  private final String scope;
  private final String member;
  private final Supplier<DcsTimings> timings;

  /** The body Consul last accepted, null when nothing is registered. */
  private String registered;

  private String lastProblem;

  ConsulServiceRegistrar(
      ConsulSettings settings,
      ConsulHttp http,
      String scope,
      String member,
      Supplier<DcsTimings> timings) {
    this.settings = Objects.requireNonNull(settings);
    this.http = Objects.requireNonNull(http);
    this.scope = Objects.requireNonNull(scope);
    this.member = Objects.requireNonNull(member);
    this.timings = Objects.requireNonNull(timings);
  }

  String serviceId() {
    return scope + "/" + member;
  }

  /** Brings the registration in line with the member's published state. */
  synchronized void update(Member data) {
    String state = data.state().orElse("");
    String role = data.role().orElse("").replace('_', '-');
    if (state.equals("stopped")) {
      deregister();
      return;
    }
    if (!ROLES.contains(role)) {
      problem(
          "could not register service "
              + serviceName(scope)
              + ": unknown role type "
              + (role.isEmpty() ? "(none)" : role));
      return;
    }
    if (!state.equals("running")) {
      return; // starting, restarting…: keep what is registered until the state settles
    }
    Optional<ConsulJson.ServiceRegistration> registration = registration(data, role);
    if (registration.isEmpty()) {
      return;
    }
    String body = ConsulJson.serviceRegister(registration.get());
    if (body.equals(registered)) {
      return;
    }
    try {
      ConsulHttp.Reply r =
          http.put("/v1/agent/service/register", body, timings.get().retryTimeout());
      if (!r.ok()) {
        problem(
            "could not register service "
                + serviceName(scope)
                + " at "
                + http.endpoint()
                + ": HTTP "
                + r.status()
                + " "
                + ConsulJson.abbreviate(r.body()));
        return;
      }
      registered = body;
      lastProblem = null;
      log.info(
          "registered service {} (id {}) in Consul with tags {}",
          registration.get().name(),
          registration.get().id(),
          registration.get().tags());
    } catch (RuntimeException e) {
      problem(
          "could not register service "
              + serviceName(scope)
              + " at "
              + http.endpoint()
              + ": "
              + DcsRetry.describe(e));
    }
  }

  /** Removes the service if we registered it. */
  synchronized void deregister() {
    if (registered == null) {
      return;
    }
    try {
      ConsulHttp.Reply r =
          http.put(
              "/v1/agent/service/deregister/" + ConsulHttp.encode(serviceId()),
              null,
              timings.get().retryTimeout());
      if (r.ok() || r.status() == 404) {
        registered = null;
        log.info("deregistered service {} (id {}) from Consul", serviceName(scope), serviceId());
      } else {
        problem(
            "could not deregister service "
                + serviceId()
                + ": HTTP "
                + r.status()
                + " "
                + ConsulJson.abbreviate(r.body()));
      }
    } catch (RuntimeException e) {
      problem("could not deregister service " + serviceId() + ": " + DcsRetry.describe(e));
    }
  }

  synchronized boolean isRegistered() {
    return registered != null;
  }

  Optional<ConsulJson.ServiceRegistration> registration(Member data, String role) {
    Optional<URI> api = data.apiUrl().flatMap(ConsulServiceRegistrar::uri);
    if (api.isEmpty()) {
      problem("could not register service " + serviceName(scope) + ": the member has no api_url");
      return Optional.empty();
    }
    Optional<URI> conn = data.connUrl().flatMap(ConsulServiceRegistrar::uri);
    List<String> tags = new ArrayList<>(settings.serviceTags());
    tags.add(role);
    if (role.equals("primary")) {
      tags.add("master"); // what DNS look-ups written for older Patroni ask for
    }
    URI a = api.get();
    String check = a.getScheme() + "://" + a.getRawAuthority() + "/" + role;
    return Optional.of(
        new ConsulJson.ServiceRegistration(
            serviceId(),
            serviceName(scope),
            List.copyOf(tags),
            conn.map(URI::getHost).orElse(null),
            conn.map(URI::getPort).orElse(-1),
            check,
            settings.serviceCheckInterval(),
            ConsulTimeouts.goDuration(ConsulTimeouts.deregisterCriticalAfter(timings.get())),
            settings.serviceCheckTlsServerName()));
  }

  /**
   * The service name for a scope, usable as a DNS label: lower case, {@code .}, {@code _} and
   * spaces become {@code -}, any other character outside {@code [a-z0-9-]} becomes {@code u} and
   * its four-digit code point; at most 230 characters, so that {@code
   * replica.<name>.service.consul} stays a valid name.
   */
  static String serviceName(String scope) {
    StringBuilder b = new StringBuilder();
    for (char c : scope.toLowerCase(Locale.ROOT).toCharArray()) {
      if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-') {
        b.append(c);
      } else if (c == '.' || c == '_' || c == ' ') {
        b.append('-');
      } else {
        b.append('u').append(String.format(Locale.ROOT, "%04d", (int) c));
      }
    }
    return b.length() > 230 ? b.substring(0, 230) : b.toString();
  }

  private static Optional<URI> uri(String s) {
    try {
      URI u = URI.create(s);
      return u.getHost() == null ? Optional.empty() : Optional.of(u);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  private void problem(String message) {
    if (!message.equals(lastProblem)) {
      log.warn(message);
      lastProblem = message;
    }
  }
}
