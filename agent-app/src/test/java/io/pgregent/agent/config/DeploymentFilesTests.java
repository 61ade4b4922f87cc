package io.pgregent.agent.config;

import static io.pgregent.agent.config.RepoFiles.ROOT;
import static io.pgregent.agent.config.RepoFiles.firstOf;
import static io.pgregent.agent.config.RepoFiles.map;
import static io.pgregent.agent.config.RepoFiles.yaml;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The container deployment without a Docker engine: the compose file's structure (services,
 * profiles, images and builds, ports, health checks, dependencies, environment), the Dockerfile's
 * essentials, HAProxy's configuration as HAProxy reads it, and every {@code PATRONI_*} variable the
 * compose file sets being one the agent understands, with a valid configuration as a result.
 */
class DeploymentFilesTests {

  private static final Pattern DEFAULT = Pattern.compile("\\$\\{[A-Z_]+:-([^}]*)}");
  private static final Map<String, List<String>> STORES =
      Map.of(
          "etcd", List.of("etcd1", "etcd2", "etcd3"),
          "zookeeper", List.of("zoo1", "zoo2", "zoo3"),
          "consul", List.of("consul"));

  private static Map<String, Map<String, Object>> services() throws IOException {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    map(yaml(ROOT.resolve("docker-compose.yml")).get("services"))
        .forEach((k, v) -> out.put(k, map(v)));
    return out;
  }

  /** The agent services of a profile, by the member name they run. */
  private static Map<String, Map<String, Object>> agents(String profile) throws IOException {
    Map<String, Map<String, Object>> out = new LinkedHashMap<>();
    services()
        .forEach(
            (name, s) -> {
              if (s.containsKey("build") && profiles(s).contains(profile)) {
                out.put(environment(s).get("PATRONI_NAME"), s);
              }
            });
    return out;
  }

  private static List<String> profiles(Map<String, Object> service) {
    Object p = service.get("profiles");
    return p == null ? List.of() : ((List<?>) p).stream().map(String::valueOf).toList();
  }

  /** The environment as the container gets it: ${VAR:-default} with its default. */
  private static Map<String, String> environment(Map<String, Object> service) {
    Map<String, String> env = new LinkedHashMap<>();
    map(service.get("environment"))
        .forEach(
            (k, v) -> {
              Matcher m = DEFAULT.matcher(String.valueOf(v));
              env.put(k, m.replaceAll(r -> Matcher.quoteReplacement(r.group(1))));
            });
    return env;
  }

  @Test
  void eachStoreProfileHasThreeMembersHealthCheckedAndWaitingForTheirStore() throws IOException {
    Map<String, Map<String, Object>> services = services();
    for (var store : STORES.entrySet()) {
      for (String server : store.getValue()) {
        Map<String, Object> s = services.get(server);
        assertThat(s).as(server).isNotNull();
        assertThat(profiles(s)).as(server).containsExactly(store.getKey());
        assertThat(s.get("image")).as(server).isNotNull();
        assertThat(map(s.get("healthcheck")).get("test")).as(server).isNotNull();
      }
      Map<String, Map<String, Object>> agents = agents(store.getKey());
      assertThat(agents.keySet()).as(store.getKey()).containsExactlyInAnyOrder("pg1", "pg2", "pg3");
      for (var agent : agents.entrySet()) {
        String member = agent.getKey();
        Map<String, Object> s = agent.getValue();
        assertThat(s.get("build")).isEqualTo(".");
        assertThat(s.get("image")).isEqualTo("pgregent/regent:latest");
        assertThat(String.valueOf(map(s.get("healthcheck")).get("test"))).contains("/liveness");
        // HAProxy and Prometheus find the member as pgN whichever profile runs it.
        boolean reachable =
            member.equals(s.get("hostname"))
                && (s.equals(services.get(member))
                    || String.valueOf(s.get("networks")).contains(member));
        assertThat(reachable).as(member + " reachable under its name").isTrue();
        Map<String, String> env = environment(s);
        assertThat(env)
            .containsEntry("PATRONI_RESTAPI_CONNECT_ADDRESS", member + ":8008")
            .containsEntry("PATRONI_POSTGRESQL_CONNECT_ADDRESS", member + ":5432");
        Map<String, Object> dependsOn = map(s.get("depends_on"));
        assertThat(dependsOn.keySet()).containsExactlyInAnyOrderElementsOf(store.getValue());
        dependsOn
            .values()
            .forEach(c -> assertThat(map(c)).containsEntry("condition", "service_healthy"));
      }
    }
    assertThat(agents("consul").values())
        .allSatisfy(
            s ->
                assertThat(environment(s))
                    .containsEntry("PATRONI_CONSUL_REGISTER_SERVICE", "true"));
    // The README's `dig @127.0.0.1 -p 8600 primary.demo.service.consul` needs Consul's DNS here.
    assertThat(String.valueOf(services().get("consul").get("ports"))).contains("8600:8600/udp");
    assertThat(Files.readString(ROOT.resolve(".env"))).contains("COMPOSE_PROFILES=etcd");
  }

  @Test
  void haproxyAndPrometheusSitInFrontOfTheMembers() throws IOException {
    Map<String, Map<String, Object>> services = services();
    Map<String, Object> haproxy = services.get("haproxy");
    assertThat(profiles(haproxy)).isEmpty();
    assertThat((List<?>) haproxy.get("ports"))
        .map(String::valueOf)
        .contains("5000:5000", "5001:5001", "7000:7000");
    assertThat(String.valueOf(haproxy.get("volumes"))).contains("./deploy/haproxy/haproxy.cfg:");
    String cfg = Files.readString(ROOT.resolve("deploy/haproxy/haproxy.cfg"));
    assertThat(section(cfg, "listen primary"))
        .contains("bind *:5000", "option httpchk OPTIONS /primary", "http-check expect status 200")
        .contains(
            "server pg1 pg1:5432", "server pg2 pg2:5432", "server pg3 pg3:5432", "check port 8008");
    assertThat(section(cfg, "listen replicas"))
        .contains("bind *:5001", "option httpchk OPTIONS /replica", "http-check expect status 200");
    assertThat(section(cfg, "listen stats")).contains("bind *:7000", "stats enable");

    Map<String, Object> prometheus = services.get("prometheus");
    assertThat(profiles(prometheus)).isEmpty();
    assertThat(String.valueOf(prometheus.get("volumes")))
        .contains("./deploy/prometheus/prometheus.yml:");
    Map<String, Object> job = firstOf("deploy/prometheus/prometheus.yml", "scrape_configs");
    assertThat(job).containsEntry("metrics_path", "/metrics");
    assertThat(String.valueOf(job.get("static_configs")))
        .contains("pg1:8008", "pg2:8008", "pg3:8008");
    for (Map<String, Object> s : services.values()) {
      assertThat(s.containsKey("image") || s.containsKey("build")).isTrue();
      assertThat(s).containsKey("healthcheck");
    }
  }

  private static String section(String cfg, String header) {
    int start = cfg.indexOf("\n" + header + "\n");
    assertThat(start).as(header).isNotNegative();
    int end = cfg.indexOf("\n\n", start + 1);
    return cfg.substring(start, end < 0 ? cfg.length() : end);
  }

  @Test
  void haproxyAcceptsItsConfiguration() throws Exception {
    Path haproxy =
        Set.of("/usr/sbin/haproxy", "/usr/bin/haproxy", "/usr/local/sbin/haproxy").stream()
            .map(Path::of)
            .filter(Files::isExecutable)
            .findFirst()
            .orElse(null);
    assumeTrue(
        haproxy != null, "haproxy is not installed (test.sh installs it): cannot run haproxy -c");
    Process p =
        new ProcessBuilder(
                haproxy.toString(),
                "-c",
                "-f",
                ROOT.resolve("deploy/haproxy/haproxy.cfg").toString())
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out).contains("Configuration file is valid");
  }

  @Test
  void everyPatroniVariableOfTheComposeFileIsOneTheAgentUnderstands() throws IOException {
    for (String profile : STORES.keySet()) {
      for (var agent : agents(profile).entrySet()) {
        Map<String, String> env = environment(agent.getValue());
        for (var variable : env.entrySet()) {
          assertThat(variable.getKey()).startsWith("PATRONI_");
          List<ConfigProblem> problems = new ArrayList<>();
          Map<String, Object> tree =
              PatroniEnvironment.read(
                  Map.of(variable.getKey(), variable.getValue()), problems, Set.of());
          assertThat(tree).as(variable.getKey() + " is read by the agent").isNotEmpty();
          assertThat(problems).as(variable.getKey()).isEmpty();
        }
      }
    }
  }

  @Test
  void eachMembersEnvironmentOverTheImagesFileIsAValidConfiguration() throws IOException {
    Path file = ROOT.resolve("deploy/docker/regent.yml");
    for (String profile : List.of("etcd", "zookeeper", "consul")) {
      for (var agent : agents(profile).entrySet()) {
        Map<String, String> env = new LinkedHashMap<>(environment(agent.getValue()));
        env.put("PATRONI_POSTGRESQL_BIN_DIR", "/usr/lib/postgresql/17/bin");
        LoadedConfig loaded = new AgentConfigLoader(env).read(file);
        assertThat(loaded.problems()).as(profile + "/" + agent.getKey()).isEmpty();
        assertThat(loaded.config().name()).isEqualTo(agent.getKey());
        assertThat(loaded.config().scope()).isEqualTo("demo");
      }
    }
  }

  @Test
  void theSampleConfigurationIsValid() {
    LoadedConfig loaded = new AgentConfigLoader(Map.of()).read(ROOT.resolve("deploy/regent.yml"));
    assertThat(loaded.problems()).isEmpty();
  }

  @Test
  void theImageRunsTheAgentAsPostgresWithAHealthCheck() throws IOException {
    List<String> lines = dockerfileInstructions();
    assertThat(lines).anyMatch(l -> l.matches("FROM postgres:1[67]-bookworm"));
    assertThat(lines).contains("USER postgres");
    assertThat(lines)
        .anyMatch(l -> l.startsWith("EXPOSE ") && l.contains("5432") && l.contains("8008"));
    assertThat(lines).anyMatch(l -> l.startsWith("HEALTHCHECK ") && l.contains("/liveness"));
    assertThat(lines).contains("ENTRYPOINT [\"/opt/regent/bin/regent\"]");
    assertThat(lines).anyMatch(l -> l.contains("openjdk-17-jre-headless"));
    // The launcher finds the jar as lib/regent.jar beside bin/.
    assertThat(lines).contains("COPY bin/regent /opt/regent/bin/regent");
    assertThat(lines).contains("COPY --from=build /regent.jar /opt/regent/lib/regent.jar");
    for (String l : lines) {
      if (l.startsWith("COPY ") && !l.startsWith("COPY --from") && !l.startsWith("COPY . ")) {
        assertThat(ROOT.resolve(l.split(" ")[1])).as(l).exists();
      }
    }
    int user = lines.indexOf("USER postgres");
    int entrypoint = lines.indexOf("ENTRYPOINT [\"/opt/regent/bin/regent\"]");
    assertThat(user).isLessThan(entrypoint);
    // The class-data sharing archive is made in the image, with its JVM, beside the jar (where the
    // agent, running as postgres, only reads it); a failure there does not fail the image.
    int archive = lines.indexOf("RUN /opt/regent/bin/regent --prepare-cds || true");
    assertThat(archive).isGreaterThan(lines.indexOf("COPY bin/regent /opt/regent/bin/regent"));
    assertThat(archive).isLessThan(user);
  }

  /** The Dockerfile's instructions, continuation lines joined, comments dropped. */
  private static List<String> dockerfileInstructions() throws IOException {
    List<String> out = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String raw : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
      String line = raw.strip();
      if (line.startsWith("#") || line.isEmpty()) {
        continue;
      }
      if (line.endsWith("\\")) {
        current.append(line, 0, line.length() - 1).append(' ');
        continue;
      }
      current.append(line);
      out.add(current.toString().replaceAll("\\s+", " ").strip());
      current.setLength(0);
    }
    return out;
  }

  @Test
  void theSystemdUnitLetsTheAgentStopPostgres() throws IOException {
    String unit = Files.readString(ROOT.resolve("deploy/systemd/regent.service"));
    assertThat(unit)
        .contains("User=postgres", "KillMode=process", "KillSignal=SIGTERM")
        .containsPattern("(?m)^ExecStart=\\S*bin/regent \\S+\\.yml$")
        .contains("WantedBy=multi-user.target");
  }
}
