package io.pgregent.dcs.consul;

import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.function.Consumer;

/** Settings for a test: the defaults of {@link ConsulSettings#of}, then what the test changes. */
final class TestConsulSettings {

  String token;
  boolean verify = true;
  Path cacert;
  Path cert;
  Path key;
  String dc;
  ConsulSettings.Consistency consistency = ConsulSettings.Consistency.DEFAULT;
  List<String> checks;
  boolean registerService;
  List<String> serviceTags = List.of();
  String serviceCheckInterval;
  String serviceCheckTlsServerName;

  private TestConsulSettings() {}

  static ConsulSettings of(String url, Consumer<TestConsulSettings> changes) {
    TestConsulSettings s = new TestConsulSettings();
    changes.accept(s);
    return new ConsulSettings(
        URI.create(url),
        s.token,
        s.verify,
        s.cacert,
        s.cert,
        s.key,
        s.dc,
        s.consistency,
        s.checks,
        s.registerService,
        s.serviceTags,
        s.serviceCheckInterval,
        s.serviceCheckTlsServerName);
  }
}
