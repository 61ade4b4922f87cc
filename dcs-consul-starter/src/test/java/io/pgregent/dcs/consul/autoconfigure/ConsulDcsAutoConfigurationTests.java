package io.pgregent.dcs.consul.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import com.ecwid.consul.v1.ConsulRawClient;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.dcs.autoconfigure.StoreAutoConfigurationTests;
import io.pgregent.dcs.consul.ConsulDcs;
import io.pgregent.dcs.consul.ConsulSettings;
import java.util.List;
import org.junit.jupiter.api.Test;

class ConsulDcsAutoConfigurationTests extends StoreAutoConfigurationTests {

  ConsulDcsAutoConfigurationTests() {
    super(
        ConsulDcsAutoConfiguration.class,
        ConsulDcs.class,
        ConsulRawClient.class,
        "consul.host=127.0.0.1:8500");
  }

  @Test
  void withoutAConsulSectionThereIsNoConsulStore() {
    runner
        .withPropertyValues("etcd3.host=127.0.0.1:2379")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void twoStoreSectionsFailNamingBoth() {
    assertStartupFailsNaming(
        runner.withPropertyValues("consul.host=127.0.0.1:8500", "etcd3.host=127.0.0.1:2379"),
        "consul and etcd3");
  }

  @Test
  void patronisKeysBind() {
    runner
        .withPropertyValues(
            "consul.host=consul.example.com",
            "consul.port=8501",
            "consul.scheme=https",
            "consul.token=tok-secret",
            "consul.verify=false",
            "consul.dc=east",
            "consul.consistency=consistent",
            "consul.checks=",
            "consul.register_service=true",
            "consul.service_tags=a,b",
            "consul.service_check_interval=10s",
            "consul.service_check_tls_server_name=pg.example.com")
        .run(
            ctx -> {
              ConsulSettings s = ctx.getBean(ConsulProperties.class).toSettings();
              assertThat(s.endpoint()).hasToString("https://consul.example.com:8501");
              assertThat(s.token()).isEqualTo("tok-secret");
              assertThat(s.verify()).isFalse();
              assertThat(s.dc()).isEqualTo("east");
              assertThat(s.consistency()).isEqualTo(ConsulSettings.Consistency.CONSISTENT);
              assertThat(s.checks()).isEmpty();
              assertThat(s.registerService()).isTrue();
              assertThat(s.serviceTags()).containsExactly("a", "b");
              assertThat(s.serviceCheckInterval()).isEqualTo("10s");
              assertThat(s.serviceCheckTlsServerName()).isEqualTo("pg.example.com");
              assertThat(s.toString()).doesNotContain("tok-secret");
            });
  }

  @Test
  void defaultsAreConsulsAndPatronis() {
    runner
        .withPropertyValues("consul.host=127.0.0.1")
        .run(
            ctx -> {
              ConsulSettings s = ctx.getBean(ConsulProperties.class).toSettings();
              assertThat(s.endpoint()).hasToString("http://127.0.0.1:8500");
              assertThat(s.checks()).as("Consul's default checks").isNull();
              assertThat(s.registerService()).isFalse();
              assertThat(s.serviceCheckInterval()).isEqualTo("5s");
              assertThat(s.consistency()).isEqualTo(ConsulSettings.Consistency.DEFAULT);
            });
  }

  @Test
  void aUrlWinsOverHost() {
    ConsulProperties p = new ConsulProperties();
    p.setHost("ignored:1");
    p.setUrl("https://10.0.0.5:8501");
    assertThat(p.toSettings().endpoint()).hasToString("https://10.0.0.5:8501");
  }

  @Test
  void badValuesFailNamingTheKey() {
    for (var c :
        List.of(
            List.of("consul.consistency=eventual", "consul.consistency"),
            List.of("consul.scheme=ftp", "consul.scheme"),
            List.of("consul.service_check_interval=soon", "consul.service_check_interval"),
            List.of("consul.url=not a url", "consul.url"))) {
      assertStartupFailsNaming(
          runner.withPropertyValues("consul.host=127.0.0.1:8500", c.get(0)), c.get(1));
    }
  }
}
