package io.pgregent.agent.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgregent.agent.config.AgentConfig;
import io.pgregent.agent.config.Tags;
import io.pgregent.agent.console.ConsoleEvents;
import io.pgregent.agent.loop.TestCluster;
import io.pgregent.postgres.config.Credentials;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The console's endpoints on a real agent (real etcd, real PostgreSQL): the page and its files, the
 * server-sent events a browser subscribes to, and the member actions behind the REST API's
 * authentication.
 */
@Timeout(180)
class ConsoleEventsTests {

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String AUTH = RawHttp.basic("admin", "console-secret");

  @AutoClose static TestCluster cluster;
  static AgentConfig config;
  static ConfigurableApplicationContext agent;

  @BeforeAll
  static void startAgent() {
    cluster = new TestCluster("console");
    config =
        cluster.member(
            "pg0",
            new Tags(false, 1, false, false, false, null, Map.of("zone", "eu-1")),
            Map.of(),
            Credentials.of("admin", "console-secret"));
    agent = cluster.run(config);
    await()
        .atMost(Duration.ofSeconds(120))
        .pollInterval(Duration.ofMillis(250))
        .until(() -> status("GET", "/primary", null, null) == 200);
  }

  static int port() {
    return config.restapi().listenPort();
  }

  static RawHttp.Response send(String method, String target, String auth, String body)
      throws IOException {
    return RawHttp.send(port(), method, target, auth, body);
  }

  static int status(String method, String target, String auth, String body) {
    try {
      return send(method, target, auth, body).status();
    } catch (IOException e) {
      return -1;
    }
  }

  /**
   * A subscription to /console/events over a plain socket, its state documents collected as they
   * arrive; closing it closes the connection, as a browser leaving the page does. HTTP/1.0, so that
   * the stream is not chunked and each line arrives as the server wrote it.
   */
  static final class Subscription implements AutoCloseable {
    final List<JsonNode> states = new CopyOnWriteArrayList<>();
    final List<String> lines = new CopyOnWriteArrayList<>();
    private final Socket socket;

    Subscription() throws IOException {
      socket = new Socket("127.0.0.1", port());
      socket
          .getOutputStream()
          .write(
              ("GET /console/events HTTP/1.0\r\nHost: 127.0.0.1\r\nAccept: text/event-stream"
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.US_ASCII));
      BufferedReader in =
          new BufferedReader(
              new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      Thread reader = new Thread(() -> read(in), "console-subscription");
      reader.setDaemon(true);
      reader.start();
    }

    private void read(BufferedReader in) {
      StringBuilder data = new StringBuilder();
      String event = null;
      try {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lines.add(line);
          if (line.startsWith("event:")) {
            event = line.substring(6).trim();
          } else if (line.startsWith("data:")) {
            data.append(line.substring(5));
          } else if (line.isEmpty()) {
            if ("state".equals(event) && data.length() > 0) {
              states.add(JSON.readTree(data.toString()));
            }
            data.setLength(0);
            event = null;
          }
        }
      } catch (IOException e) {
        // closed
      }
    }

    /** A response header's value, from the lines read so far ("" when absent). */
    String header(String name) {
      for (String line : lines) {
        if (line.isEmpty()) {
          break;
        }
        if (line.regionMatches(true, 0, name + ":", 0, name.length() + 1)) {
          return line.substring(name.length() + 1).trim();
        }
      }
      return "";
    }

    JsonNode last() {
      return states.get(states.size() - 1);
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  @Test
  void pageAndItsFilesAreServedWithoutAuthentication() throws IOException {
    RawHttp.Response redirect = send("GET", "/console", null, null);
    assertThat(redirect.status()).isEqualTo(302);
    assertThat(redirect.headers().get("location")).isEqualTo("console/");
    RawHttp.Response page = send("GET", "/console/", null, null);
    assertThat(page.status()).isEqualTo(200);
    assertThat(page.headers().get("content-type")).startsWith("text/html");
    assertThat(page.text()).contains("<script src=\"console.js\">");
    RawHttp.Response js = send("GET", "/console/console.js", null, null);
    assertThat(js.status()).isEqualTo(200);
    assertThat(js.headers().get("content-type")).startsWith("text/javascript");
    assertThat(js.text()).contains("new EventSource('events')");
    assertThat(page.text()).contains("<script src=\"actions.js\">");
    RawHttp.Response actions = send("GET", "/console/actions.js", null, null);
    assertThat(actions.status()).isEqualTo(200);
    assertThat(actions.text()).contains("'text/event-stream'");
    assertThat(send("GET", "/console/console.css", null, null).status()).isEqualTo(200);
    assertThat(send("GET", "/console/nothing.js", null, null).status()).isEqualTo(404);
    // the leader's replay_lag per standby, read by consoles other members serve (no standby here)
    RawHttp.Response lags = send("GET", "/console/replication", null, null);
    assertThat(lags.status()).isEqualTo(200);
    assertThat(lags.headers().get("content-type")).startsWith("application/json");
    assertThat(lags.text()).isEqualTo("{}");
  }

  @Test
  void aSubscriberGetsTheClusterAtOnceThenEveryChange() throws IOException {
    try (Subscription s = new Subscription()) {
      await().atMost(Duration.ofSeconds(20)).until(() -> !s.states.isEmpty());
      assertThat(s.header("Content-Type")).startsWith("text/event-stream");
      assertThat(s.lines).anyMatch(l -> l.startsWith("retry:"));
      JsonNode first = s.states.get(0);
      assertThat(first.path("scope").asText()).isEqualTo("console");
      assertThat(first.path("self").asText()).isEqualTo("pg0");
      assertThat(first.path("store").path("reachable").asBoolean()).isTrue();
      assertThat(first.path("leader").path("name").asText()).isEqualTo("pg0");
      assertThat(first.path("leader").path("ttl").asInt()).isEqualTo(10);
      assertThat(first.path("leader").path("lease_remaining_ms").asLong()).isPositive();
      JsonNode pg0 = first.path("members").get(0);
      assertThat(pg0.path("name").asText()).isEqualTo("pg0");
      assertThat(pg0.path("role").asText()).isEqualTo("leader");
      assertThat(pg0.path("state").asText()).isEqualTo("running");
      assertThat(pg0.path("timeline").asInt()).isEqualTo(1);
      assertThat(pg0.path("lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
      assertThat(pg0.path("tags").path("zone").asText()).isEqualTo("eu-1");
      assertThat(pg0.path("reachable").asBoolean()).isTrue();
      assertThat(first.path("pause").asBoolean()).isFalse();
      assertThat(first.path("config").path("loop_wait").asInt()).isPositive();
      // the loop's decision, as it logged it
      assertThat(pg0.path("decisions").findValuesAsText("message"))
          .anyMatch(m -> m.contains("I am (pg0), the leader with the lock"));

      // a change made through the REST API reaches the open stream, no new request needed
      assertThat(send("PATCH", "/config", AUTH, "{\"pause\": true}").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> s.last().path("pause").asBoolean());
      assertThat(send("PATCH", "/config", AUTH, "{\"pause\": null}").status()).isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> !s.last().path("pause").asBoolean());
    }
  }

  @Test
  void aClosedSubscriptionIsDropped() throws IOException {
    ConsoleEvents events = agent.getBean(ConsoleEvents.class);
    // the other cases' subscriptions are closed too: each goes at its next line
    await().atMost(Duration.ofSeconds(30)).until(() -> events.subscribers() == 0);
    Subscription s = new Subscription();
    await().atMost(Duration.ofSeconds(20)).until(() -> !s.states.isEmpty());
    assertThat(events.subscribers()).isEqualTo(1);
    s.close();
    // noticed when a line is sent: the leader's lease countdown changes every second
    await().atMost(Duration.ofSeconds(30)).until(() -> events.subscribers() == 0);
  }

  @Test
  void theStateAndTheDecisionsAreReadableOnce() throws IOException {
    RawHttp.Response state = send("GET", "/console/state", null, null);
    assertThat(state.status()).isEqualTo(200);
    // The state is the loop's last snapshot: it names the leader from the cycle after /primary's.
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                JSON.readTree(send("GET", "/console/state", null, null).text())
                    .path("leader")
                    .path("name")
                    .asText()
                    .equals("pg0"));
    RawHttp.Response decisions = send("GET", "/console/decisions", null, null);
    assertThat(decisions.status()).isEqualTo(200);
    JsonNode lines = JSON.readTree(decisions.text());
    assertThat(lines.isArray()).isTrue();
    assertThat(lines.findValuesAsText("message")).isNotEmpty();
    // a line repeated every cycle is one entry that counts up
    List<String> messages = new ArrayList<>(lines.findValuesAsText("message"));
    for (int i = 1; i < messages.size(); i++) {
      assertThat(messages.get(i)).isNotEqualTo(messages.get(i - 1));
    }
  }

  @Test
  void memberActionsNeedTheRestApisCredentials() throws IOException {
    String startedBefore = postmasterStart();
    RawHttp.Response refused = send("POST", "/console/members/pg0/restart", null, "{}");
    assertThat(refused.status()).isEqualTo(401);
    RawHttp.Response wrong =
        send("POST", "/console/members/pg0/restart", RawHttp.basic("admin", "guess"), "{}");
    assertThat(wrong.status()).isEqualTo(401);
    assertThat(send("POST", "/console/members/pg9/restart", AUTH, "{}").status()).isEqualTo(404);
    assertThat(send("POST", "/console/members/pg0/drop", AUTH, "{}").status()).isEqualTo(404);
    assertThat(postmasterStart()).isEqualTo(startedBefore);

    // with them, the member's own /restart runs and answers
    RawHttp.Response restarted = send("POST", "/console/members/pg0/restart", AUTH, "{}");
    assertThat(restarted.status()).isEqualTo(200);
    assertThat(restarted.text()).contains("restarted successfully");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> !postmasterStart().equals(startedBefore) && !postmasterStart().isEmpty());
  }

  static String postmasterStart() {
    try {
      return JSON.readTree(send("GET", "/patroni", null, null).body())
          .path("postmaster_start_time")
          .asText();
    } catch (IOException e) {
      return "";
    }
  }
}
