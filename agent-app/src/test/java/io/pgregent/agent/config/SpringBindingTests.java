package io.pgregent.agent.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.dcs.DcsSections;
import io.pgregent.dcs.etcd.autoconfigure.EtcdProperties;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.boot.context.properties.source.ConfigurationPropertySources;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.MutablePropertySources;
import org.springframework.core.env.StandardEnvironment;

/** The flattened properties bind the way the store starters bind them. */
class SpringBindingTests {

  @TempDir Path dir;

  private AgentConfig load(String etcd3Section) {
    String yaml = ConfigFixtures.MINIMAL.replace("etcd3:\n  hosts: 10.0.0.1:2379\n", etcd3Section);
    return new AgentConfigLoader(Map.of()).load(ConfigFixtures.write(dir, "p.yml", yaml)).config();
  }

  private static EtcdProperties bind(AgentConfig config) {
    MapPropertySource source = new MapPropertySource("regentConfig", config.properties());
    Binder binder = new Binder(ConfigurationPropertySources.from(source));
    return binder.bind("etcd3", Bindable.of(EtcdProperties.class)).get();
  }

  @Test
  void hostsAsAYamlListBind() {
    EtcdProperties p =
        bind(
            load(
                "etcd3:\n  hosts:\n    - 10.0.0.1:2379\n    - 10.0.0.2:2379\n"
                    + "  protocol: https\n  username: root\n  password: pw\n"
                    + "  cacert: /etc/ssl/ca.pem\n"));

    assertThat(p.getHosts()).containsExactly("10.0.0.1:2379", "10.0.0.2:2379");
    assertThat(p.getUsername()).isEqualTo("root");
    assertThat(p.getPassword()).isEqualTo("pw");
    assertThat(p.getCacert()).isEqualTo(Path.of("/etc/ssl/ca.pem"));
    assertThat(p.toSettings().endpoints())
        .containsExactly(URI.create("https://10.0.0.1:2379"), URI.create("https://10.0.0.2:2379"));
  }

  @Test
  void hostsAsACommaStringBind() {
    EtcdProperties p = bind(load("etcd3:\n  hosts: 10.0.0.1:2379,10.0.0.2:2379\n"));

    assertThat(p.getHosts()).containsExactly("10.0.0.1:2379", "10.0.0.2:2379");
    assertThat(p.toSettings().endpoints())
        .containsExactly(URI.create("http://10.0.0.1:2379"), URI.create("http://10.0.0.2:2379"));
  }

  @Test
  void hostsFromTheEnvironmentBind() {
    String yaml = ConfigFixtures.MINIMAL;
    AgentConfig c =
        new AgentConfigLoader(Map.of("PATRONI_ETCD3_HOSTS", "10.9.0.1:2379,10.9.0.2:2379"))
            .load(ConfigFixtures.write(dir, "p.yml", yaml))
            .config();

    assertThat(bind(c).getHosts()).containsExactly("10.9.0.1:2379", "10.9.0.2:2379");
  }

  @Test
  void identityAndStoreSelectionReadTheProperties() {
    AgentConfig c = load("etcd3:\n  host: 10.0.0.1:2379\n");
    StandardEnvironment env = new StandardEnvironment();
    MutablePropertySources sources = env.getPropertySources();
    sources.addFirst(new MapPropertySource("regentConfig", c.properties()));

    DcsSections.Identity id = DcsSections.identity(env::getProperty);
    assertThat(id.member()).isEqualTo("pg1");
    assertThat(DcsSections.selects("etcd3", c.properties().keySet())).isTrue();
    assertThat(bind(c).getHost()).isEqualTo("10.0.0.1:2379");
  }

  @Test
  void parameterNamesWithDotsBindAsMapKeys() {
    AgentConfig c =
        load(
            "etcd3:\n  host: 10.0.0.1:2379\n"
                + "bootstrap:\n  dcs:\n    postgresql:\n      parameters:\n"
                + "        auto_explain.log_min_duration: 5s\n        work_mem: 4MB\n");
    Binder binder =
        new Binder(ConfigurationPropertySources.from(new MapPropertySource("c", c.properties())));

    Map<String, String> params =
        binder
            .bind("bootstrap.dcs.postgresql.parameters", Bindable.mapOf(String.class, String.class))
            .get();
    assertThat(params)
        .containsEntry("auto_explain.log_min_duration", "5s")
        .containsEntry("work_mem", "4MB");
  }
}
