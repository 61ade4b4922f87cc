package io.pgregent.dcs.consul;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.core.dcs.ClusterPath;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsTimings;
import io.pgregent.dcs.tck.DcsConformanceTests;
import io.pgregent.testsupport.ConsulServer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;

/**
 * The conformance kit against a real Consul: a dev-mode agent of the open-source build {@code
 * .ci/consul.sh} makes. Where none can run, every case is skipped, saying why.
 */
class ConsulDcsConformanceTests extends DcsConformanceTests {

  private static ConsulServer consul;
  private static String unavailable;
  private static final HttpClient ADMIN =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @BeforeAll
  static void startConsul() {
    unavailable = ConsulServer.unavailableReason();
    if (unavailable == null) {
      consul = ConsulServer.dev();
    }
  }

  /** Each case reports itself skipped with the reason, so that none passes without a server. */
  @BeforeEach
  void requireConsul() {
    assumeTrue(consul != null, unavailable);
  }

  @AfterAll
  static void stopConsul() {
    if (consul != null) {
      consul.close();
    }
  }

  /** Consul's shortest session TTL is 10 s, which a ttl of 20 s gives (ttl/2). */
  @Override
  protected Duration ttl() {
    return Duration.ofSeconds(20);
  }

  /** Consul invalidates a session at twice its TTL, once its leader's timer fires. */
  @Override
  protected Duration expiryGranularity() {
    return Duration.ofSeconds(5);
  }

  @Override
  protected String serverAddress() {
    return consul.address();
  }

  @Override
  protected Dcs connect(String member, ClusterPath path, DcsTimings timings, String address) {
    return new ConsulDcs(ConsulSettings.of("http://" + address), path, member, timings);
  }

  @Override
  protected void restartServer() {
    consul.restart();
  }

  @Override
  protected void writeRaw(String key, String value) {
    try {
      HttpResponse<String> r =
          ADMIN.send(
              HttpRequest.newBuilder(URI.create(consul.url() + ConsulHttp.kvPath(key)))
                  .PUT(HttpRequest.BodyPublishers.ofString(value))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (r.statusCode() != 200 || !r.body().trim().equals("true")) {
        throw new IllegalStateException("raw write of " + key + ": " + r.body());
      }
    } catch (Exception e) {
      throw new IllegalStateException("raw write of " + key + " failed", e);
    }
  }

  @Override
  protected Optional<String> readRaw(String key) {
    try {
      HttpResponse<String> r =
          ADMIN.send(
              HttpRequest.newBuilder(URI.create(consul.url() + ConsulHttp.kvPath(key) + "?raw"))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 404 ? Optional.empty() : Optional.of(r.body());
    } catch (Exception e) {
      throw new IllegalStateException("raw read of " + key + " failed", e);
    }
  }
}
