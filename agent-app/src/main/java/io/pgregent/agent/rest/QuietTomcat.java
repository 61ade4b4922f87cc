package io.pgregent.agent.rest;

import org.apache.coyote.http11.Http11NioProtocol;
import org.springframework.boot.web.embedded.tomcat.TomcatServletWebServerFactory;
import org.springframework.boot.web.server.WebServerFactoryCustomizer;
import org.springframework.stereotype.Component;

/**
 * Tomcat without its idle wake-ups. An agent's REST API sits idle between health checks, yet Tomcat
 * wakes every second to look for timed-out asynchronous requests (the REST API has none) and every
 * second in its poller (with the container's background work, which {@code
 * server.tomcat.background-processor-delay} slows down, about a tenth of an idle agent's CPU). New
 * connections and requests still wake the poller at once; idle keep-alive connections are closed up
 * to {@link #SELECTOR_TIMEOUT_MS} late.
 */
@Component
public class QuietTomcat implements WebServerFactoryCustomizer<TomcatServletWebServerFactory> {

  static final int SELECTOR_TIMEOUT_MS = 10_000;

  @Override
  public void customize(TomcatServletWebServerFactory factory) {
    factory.setProtocol(Protocol.class.getName());
    factory.addConnectorCustomizers(
        connector -> {
          if (connector.getProtocolHandler() instanceof Http11NioProtocol nio) {
            nio.setSelectorTimeout(SELECTOR_TIMEOUT_MS);
          }
        });
  }

  /** HTTP/1.1 without the once-a-second sweep for timed-out asynchronous requests. */
  public static class Protocol extends Http11NioProtocol {

    @Override
    protected void startAsyncTimeout() {
      // The REST API answers every request synchronously: nothing can time out asynchronously.
    }
  }
}
