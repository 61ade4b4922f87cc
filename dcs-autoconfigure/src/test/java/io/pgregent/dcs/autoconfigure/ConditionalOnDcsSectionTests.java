package io.pgregent.dcs.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

class ConditionalOnDcsSectionTests {

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnDcsSection("etcd3")
  static class Etcd3Store {
    @Bean
    String store() {
      return "etcd3";
    }
  }

  @Configuration(proxyBeanMethods = false)
  @ConditionalOnDcsSection(value = "zookeeper", clientClass = "org.example.NoSuchClient")
  static class ZooKeeperWithoutItsClient {
    @Bean
    String store() {
      return "zookeeper";
    }
  }

  private final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withUserConfiguration(Etcd3Store.class, ZooKeeperWithoutItsClient.class);

  @Test
  void theSectionPresentPicksItsStore() {
    runner
        .withPropertyValues("etcd3.hosts=127.0.0.1:2379")
        .run(
            ctx ->
                assertThat(ctx)
                    .hasSingleBean(String.class)
                    .getBean(String.class)
                    .isEqualTo("etcd3"));
  }

  @Test
  void noSectionPicksNoStore() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(String.class));
  }

  @Test
  void aStoreWhoseClientIsMissingIsNotPicked() {
    runner
        .withPropertyValues("zookeeper.hosts=127.0.0.1:2181")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(String.class));
  }

  @Test
  void twoStoreSectionsFailStartupNamingBoth() {
    runner
        .withPropertyValues("etcd3.hosts=127.0.0.1:2379", "consul.host=127.0.0.1")
        .run(
            ctx ->
                assertThat(ctx).getFailure().rootCause().hasMessageContaining("consul and etcd3"));
  }

  @Test
  void jvmSystemPropertiesNeverPickAStore() {
    runner
        .withSystemProperties("etcd3.hosts=127.0.0.1:2379")
        .run(ctx -> assertThat(ctx).doesNotHaveBean(String.class));
  }
}
