package io.pgregent.dcs.consul;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.pgregent.testsupport.ConsulServer;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * One Consul dev agent for a test class (register it on a static field), stopped after the class;
 * where Consul cannot run here, every test of the class is skipped with the reason.
 */
final class DevConsul implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback {

  private final ConsulServer.Options options;
  private final String adminToken;
  private ConsulServer server;
  private ConsulAdmin admin;
  private String unavailable;

  /**
   * @param adminToken the token {@link #admin()} uses, null without ACLs
   */
  DevConsul(ConsulServer.Options options, String adminToken) {
    this.options = options;
    this.adminToken = adminToken;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    unavailable = ConsulServer.unavailableReason();
    if (unavailable == null) {
      server = ConsulServer.dev(options);
      admin = new ConsulAdmin(server.url(), adminToken);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (server != null) {
      server.close();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    assumeTrue(server != null, unavailable);
  }

  String url() {
    return server.url();
  }

  int dnsPort() {
    return server.dnsPort();
  }

  /** A client of Consul's HTTP API for what the tests check or set up behind the store's back. */
  ConsulAdmin admin() {
    return admin;
  }
}
