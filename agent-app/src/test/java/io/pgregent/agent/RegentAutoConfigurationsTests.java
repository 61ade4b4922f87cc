package io.pgregent.agent;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.annotation.ImportCandidates;
import org.springframework.core.env.MapPropertySource;
import org.springframework.core.env.StandardEnvironment;

/**
 * The agent's auto-configuration allow-list. That the agent works with it (REST API, health groups,
 * Prometheus meters) is shown by the tests that start agents, e.g. {@code RestApiClusterTests}.
 */
class RegentAutoConfigurationsTests {

  private static final ClassLoader LOADER = RegentAutoConfigurationsTests.class.getClassLoader();

  private static RegentAutoConfigurations filter(boolean regent) {
    StandardEnvironment environment = new StandardEnvironment();
    if (regent) {
      environment
          .getPropertySources()
          .addFirst(new MapPropertySource(RegentApplication.CONFIG_SOURCE, Map.of()));
    }
    RegentAutoConfigurations filter = new RegentAutoConfigurations();
    filter.setBeanClassLoader(LOADER);
    filter.setEnvironment(environment);
    return filter;
  }

  @Test
  void everyListedSpringBootAutoConfigurationExists() {
    // A Spring Boot upgrade that renames one would otherwise drop it silently.
    assertThat(ImportCandidates.load(AutoConfiguration.class, LOADER).getCandidates())
        .containsAll(RegentAutoConfigurations.SPRING_BOOT);
  }

  @Test
  void theAgentGetsTheListTheStoresStartersAndWhatTheyImport() {
    String[] classes = {
      "org.springframework.boot.autoconfigure.web.servlet.WebMvcAutoConfiguration",
      "io.pgregent.dcs.etcd.autoconfigure.EtcdDcsAutoConfiguration",
      "io.pgregent.dcs.zookeeper.autoconfigure.ZooKeeperDcsAutoConfiguration",
      // Nested configurations an auto-configuration imports are asked about too.
      "org.springframework.boot.autoconfigure.web.servlet.ServletWebServerFactoryConfiguration$EmbeddedTomcat",
      "org.springframework.boot.autoconfigure.gson.GsonAutoConfiguration",
      "org.springframework.boot.autoconfigure.task.TaskExecutionAutoConfiguration",
      "org.springframework.boot.actuate.autoconfigure.env.EnvironmentEndpointAutoConfiguration",
      null
    };

    assertThat(filter(true).match(classes, null))
        .containsExactly(true, true, true, true, false, false, false, true);
  }

  @Test
  void otherApplicationsAreLeftAlone() {
    String[] classes = {"org.springframework.boot.autoconfigure.gson.GsonAutoConfiguration"};

    assertThat(filter(false).match(classes, null)).containsExactly(true);
  }
}
