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
 * (through the test-jar) and names its auto-configuration, its section and its client library.
 */
@Timeout(60)
public abstract class StoreAutoConfigurationTests {

  /** The starter's auto-configuration. */
  protected abstract Class<?> autoConfiguration();

  /** One property that makes the store's section present and valid. */
  protected abstract String sectionProperty();

  /** A class of the client library the store needs on the classpath. */
  protected abstract Class<?> clientClass();

  /** The store the section picks. */
  protected abstract Class<? extends Dcs> storeClass();

  /** The auto-configuration alone, for a member {@code pg0} of the cluster {@code demo}. */
  protected final ApplicationContextRunner runner =
      new ApplicationContextRunner()
          .withConfiguration(AutoConfigurations.of(autoConfiguration()))
          .withPropertyValues("scope=demo", "name=pg0");

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
        .withPropertyValues(sectionProperty())
        .run(
            ctx -> {
              assertThat(ctx).hasSingleBean(Dcs.class).hasSingleBean(storeClass());
              Dcs dcs = ctx.getBean(Dcs.class);
              assertThat(dcs.memberName()).isEqualTo("pg0");
              assertThat(dcs.path().prefix()).isEqualTo("/service/demo/");
            });
  }

  @Test
  void withoutTheSectionThereIsNoStore() {
    runner.run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void withoutTheClientLibraryOnTheClasspathThereIsNoStore() {
    runner
        .withPropertyValues(sectionProperty())
        .withClassLoader(new FilteredClassLoader(clientClass()))
        .run(ctx -> assertThat(ctx).doesNotHaveBean(Dcs.class));
  }

  @Test
  void aMissingScopeFailsStartupNamingTheKey() {
    assertStartupFailsNaming(
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(autoConfiguration()))
            .withPropertyValues("name=pg0", sectionProperty()),
        "scope");
  }

  @Test
  void aMissingNameFailsStartupNamingTheKey() {
    assertStartupFailsNaming(
        new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(autoConfiguration()))
            .withPropertyValues("scope=demo", sectionProperty()),
        "name");
  }
}
