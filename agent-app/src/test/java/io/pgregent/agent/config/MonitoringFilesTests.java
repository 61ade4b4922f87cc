package io.pgregent.agent.config;

import static io.pgregent.agent.config.RepoFiles.ROOT;
import static io.pgregent.agent.config.RepoFiles.firstOf;
import static io.pgregent.agent.config.RepoFiles.map;
import static io.pgregent.agent.config.RepoFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The Grafana dashboard and the Prometheus alert rules without a Docker engine: the compose file
 * provisions both, and every metric they name is one the agent publishes, under Patroni's name
 * ({@code /metrics}) or as Micrometer renders the agent's own meters ({@code
 * /actuator/prometheus}). The rules themselves are checked and unit-tested by promtool in {@code
 * ./test.sh}.
 */
class MonitoringFilesTests {

  private static final Path SOURCES = ROOT.resolve("agent-app/src/main/java/io/pgregent/agent");
  private static final Pattern METRIC = Pattern.compile("\\b((?:patroni|regent)_[a-z_]+)");

  private static JsonNode dashboard() throws IOException {
    return new ObjectMapper()
        .readTree(Files.readString(ROOT.resolve("deploy/grafana/dashboards/regent.json")));
  }

  /** The names the agent publishes: Patroni's literally, Micrometer's from the meter names. */
  private static Set<String> published() throws IOException {
    Set<String> names = new TreeSet<>();
    Matcher patroni =
        Pattern.compile("\"(patroni_[a-z_]+)\"")
            .matcher(Files.readString(SOURCES.resolve("rest/PatroniMetrics.java")));
    while (patroni.find()) {
      names.add(patroni.group(1));
    }
    for (String file : List.of("metrics/RegentMetrics.java", "metrics/InstrumentedDcs.java")) {
      Matcher regent =
          Pattern.compile("\"(regent\\.[a-z.]+)\"")
              .matcher(Files.readString(SOURCES.resolve(file)));
      while (regent.find()) {
        names.add(regent.group(1).replace('.', '_'));
      }
    }
    return names;
  }

  /** A name as Prometheus shows it, with Micrometer's unit and type suffixes, is published. */
  private static boolean isPublished(String metric, Set<String> published) {
    for (String suffix :
        List.of(
            "",
            "_total",
            "_seconds_sum",
            "_seconds_count",
            "_seconds_max",
            "_seconds_bucket",
            "_bytes")) {
      if (metric.endsWith(suffix)
          && published.contains(metric.substring(0, metric.length() - suffix.length()))) {
        return true;
      }
    }
    return false;
  }

  private static Set<String> metricsIn(String text) {
    Set<String> out = new TreeSet<>();
    Matcher m = METRIC.matcher(text);
    while (m.find()) {
      out.add(m.group(1));
    }
    return out;
  }

  @Test
  void prometheusLoadsTheRulesAndScrapesBothEndpoints() throws IOException {
    Map<String, Object> services = map(yaml(ROOT.resolve("docker-compose.yml")).get("services"));
    Map<String, Object> prometheus = map(services.get("prometheus"));
    assertThat(String.valueOf(prometheus.get("volumes")))
        .contains("./deploy/prometheus/alerts.yml:/etc/prometheus/alerts.yml");
    Map<String, Object> config = yaml(ROOT.resolve("deploy/prometheus/prometheus.yml"));
    assertThat(String.valueOf(config.get("rule_files"))).isEqualTo("[/etc/prometheus/alerts.yml]");
    assertThat(
            ((List<?>) config.get("scrape_configs"))
                .stream().map(j -> String.valueOf(map(j).get("metrics_path"))))
        .containsExactly("/metrics", "/actuator/prometheus");
  }

  @Test
  void grafanaIsProvisionedWithTheDataSourceAndTheDashboard() throws IOException {
    Map<String, Object> grafana =
        map(map(yaml(ROOT.resolve("docker-compose.yml")).get("services")).get("grafana"));
    String volumes = String.valueOf(grafana.get("volumes"));
    assertThat(volumes)
        .contains("./deploy/grafana/provisioning:/etc/grafana/provisioning")
        .contains("./deploy/grafana/dashboards:/var/lib/grafana/dashboards");
    assertThat(grafana).containsKey("healthcheck");
    assertThat(String.valueOf(grafana.get("ports"))).isEqualTo("[3000:3000]");

    Map<String, Object> source =
        firstOf("deploy/grafana/provisioning/datasources/prometheus.yml", "datasources");
    assertThat(source)
        .containsEntry("type", "prometheus")
        .containsEntry("url", "http://prometheus:9090");
    Map<String, Object> provider =
        firstOf("deploy/grafana/provisioning/dashboards/regent.yml", "providers");
    assertThat(map(provider.get("options"))).containsEntry("path", "/var/lib/grafana/dashboards");
  }

  @Test
  void theDashboardShowsWhatTheIssueAsksWithPatronisNamesFirst() throws IOException {
    JsonNode d = dashboard();
    assertThat(d.path("uid").asText()).isEqualTo("regent-cluster");
    List<String> titles = d.path("panels").findValuesAsText("title");
    assertThat(titles)
        .contains(
            "Roles over time",
            "Replication lag (bytes)",
            "Timeline changes (range)",
            "Leader changes",
            "HA loop duration",
            "Store latency",
            "Lease margin");
    // panels above the Regent row use Patroni's names only, so a Patroni cluster fills them
    boolean regentRow = false;
    for (JsonNode panel : d.path("panels")) {
      if (panel.path("type").asText().equals("row")) {
        regentRow = panel.path("title").asText().startsWith("Regent");
        continue;
      }
      assertThat(panel.path("datasource").path("uid").asText()).isEqualTo("${datasource}");
      for (JsonNode target : panel.path("targets")) {
        Set<String> names = metricsIn(target.path("expr").asText());
        assertThat(names).as(panel.path("title").asText()).isNotEmpty();
        if (!regentRow) {
          assertThat(names)
              .as(panel.path("title").asText())
              .allMatch(n -> n.startsWith("patroni_"));
        }
      }
    }
  }

  @Test
  void everyMetricTheDashboardAndTheRulesNameIsPublishedByTheAgent() throws IOException {
    Set<String> published = published();
    assertThat(published).contains("patroni_primary", "regent_ha_loop_duration");
    Set<String> used = new TreeSet<>();
    used.addAll(metricsIn(Files.readString(ROOT.resolve("deploy/grafana/dashboards/regent.json"))));
    used.addAll(metricsIn(Files.readString(ROOT.resolve("deploy/prometheus/alerts.yml"))));
    assertThat(used).isNotEmpty();
    assertThat(used).allMatch(n -> isPublished(n, published), "published by the agent");
  }

  @Test
  void theRulesCoverWhatOperatorsAlertOn() throws IOException {
    List<?> groups = (List<?>) yaml(ROOT.resolve("deploy/prometheus/alerts.yml")).get("groups");
    Set<String> alerts = new TreeSet<>();
    for (Object g : groups) {
      for (Object r : (List<?>) map(g).get("rules")) {
        Map<String, Object> rule = map(r);
        alerts.add(String.valueOf(rule.get("alert")));
        assertThat(map(rule.get("labels"))).containsKey("severity");
        assertThat(map(rule.get("annotations"))).containsKeys("summary", "description");
      }
    }
    assertThat(alerts)
        .contains(
            "RegentNoLeader",
            "RegentMoreThanOnePrimary",
            "RegentReplicaLagHigh",
            "RegentFailsafeActive",
            "RegentPausedTooLong",
            "RegentLoopStalled",
            "RegentPendingRestart");
  }
}
