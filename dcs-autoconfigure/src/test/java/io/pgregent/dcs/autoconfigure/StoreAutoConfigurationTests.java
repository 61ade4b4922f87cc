package io.pgregent.dcs.autoconfigure;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgregent.core.dcs.Dcs;
import org.assertj.core.api.AbstractThrowableAssert;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/**
 * What every store starter's auto-configuration does alike; each starter's test class extends this
 * (through the test-jar) and names its auto-configuration, its store, its client library and its
 * section.
 */
@Timeout(60)
public abstract class StoreAutoConfigurationTests {

  private final Class<?> autoConfiguration;
  private final Class<? extends Dcs> store;
  private final Class<?> client;
  private final String sectionProperty;

  /** The auto-configuration alone, for a member {@code pg0} of the cluster {@code demo}. */
  protected final ApplicationContextRunner runner;

  /**
   * @param autoConfiguration the starter's auto-configuration
   * @param store the store its section picks
   * @param client a class of the client library the store needs on the classpath
   * @param sectionProperty one property that makes the section present and valid
   */
  protected StoreAutoConfigurationTests(
      Class<?> autoConfiguration,
      Class<? extends Dcs> store,
      Class<?> client,
      String sectionProperty) {
    this.autoConfiguration = autoConfiguration;
    this.store = store;
    this.client = client;
    this.sectionProperty = sectionProperty;
    this.runner = bare().withPropertyValues("scope=demo", "name=pg0");
  }

  private ApplicationContextRunner bare() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(autoConfiguration));
  }

  /** Startup fails, and its root cause names each of {@code named}. */
  protected static void assertStartupFailsNaming(ApplicationContextRunner runner, String... named) {
    runner.run(
        ctx -> {
          AbstractThrowableAssert<?, ?> cause = assertThat(ctx).getFailure().rootCause();
          for (String n : named) {
            cause.hasMessageContaining(n);
          }
        });
  }

  @Test
  void theSectionPicksTheStoreWithoutConnecting() {
    runner
        .withPropertyValues(sectionProperty)
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Dcs.class).hasSingleBean(store);
              Dcs dcs = ctx.getBean(Dcs.class);
              assertThat(dcs.memberName()).isEqualTo("pg0");
              assertThat(dcs.path().prefix()).isEqualTo("/service/demo/");
            });
  }

  @Test
  void theNamespaceAndTheBootstrapTimingsBind() {
    runner
        .withPropertyValues(
            sectionProperty,
            "namespace=/regent/",
            "bootstrap.dcs.ttl=20",
            "bootstrap.dcs.retry_timeout=5")
        .run(
            ctx -> {
              Dcs dcs = ctx.getBean(Dcs.class);
              assertThat(dcs.path().prefix()).isEqualTo("/regent/demo/");
              assertThat(dcs.timings().ttl().toSeconds()).isEqualTo(20);
              assertThat(dcs.timings().retryTimeout().toSeconds()).isEqualTo(5);
            });
  }

  @Test
  void withoutTheSectionThereIsNoStore() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void withoutTheClientLibraryOnTheClasspathThereIsNoStore() {
    runner
        .withPropertyValues(sectionProperty)
        .withClassLoader(new FilteredClassLoader(client))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void aMissingScopeFailsStartupNamingTheKey() {
    assertStartupFailsNaming(bare().withPropertyValues("name=pg0", sectionProperty), "scope");
  }

  @Test
  void aMissingNameFailsStartupNamingTheKey() {
    assertStartupFailsNaming(bare().withPropertyValues("scope=demo", sectionProperty), "name");
  }
}
