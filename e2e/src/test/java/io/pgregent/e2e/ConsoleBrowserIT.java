package io.pgregent.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgregent.testsupport.EtcdServer;
import io.pgregent.testsupport.postgres.PostgresTestEnvironment;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.TakesScreenshot;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * The console in a real browser (Debian's headless Chromium driven through its ChromeDriver)
 * against three agents as separate processes, through a real etcd, with the REST API's
 * authentication on. The page follows a switchover through the agent's event stream (POST
 * /switchover with Accept: text/event-stream), step by step, to the outcome the store shows. The
 * cluster is shared by the class; each case first re-establishes what it starts from (three agents
 * running, a leader, two streaming replicas, not paused) and opens the page afresh on a replica, so
 * the cases run in any order. After that load, everything the page shows came over its event
 * stream. A screenshot of each state is saved in {@code target/console-screenshots}.
 */
@Timeout(900)
class ConsoleBrowserIT {

  private static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  private static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  private static final Path SCREENSHOTS = Path.of("target", "console-screenshots");
  private static final String USER = "admin";
  private static final String PASSWORD = "console-e2e";

  @RegisterExtension
  static final TestWatcher EVIDENCE_ON_FAILURE =
      new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
          screenshot("failed-" + context.getRequiredTestMethod().getName());
          agents.forEach((name, a) -> System.err.println("---- " + name + " ----\n" + a.logTail()));
        }
      };

  /** Held, so that the level set on it stays (java.util.logging keeps loggers weakly). */
  private static final java.util.logging.Logger SELENIUM_LOG =
      java.util.logging.Logger.getLogger("org.openqa.selenium");

  private static EtcdServer etcd;
  private static Path base;
  private static Path profile;
  private static final Map<String, RegentAgent> agents = new LinkedHashMap<>();
  private static WebDriver browser;

  /** Set by {@link #aHealthyClusterAndAFreshPage} for each case: who leads, who serves the page. */
  private String firstLeader;

  private String page;
  private String candidate;

  @BeforeAll
  static void start() throws IOException {
    Assumptions.assumeTrue(
        Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER),
        "needs Debian's chromium and chromium-driver (./test.sh installs them)");
    etcd = EtcdServer.start();
    base = PostgresTestEnvironment.newBaseDir("regent-console");
    for (String name : List.of("pg0", "pg1", "pg2")) {
      RegentAgent a =
          new RegentAgent(base, "console", name, "127.0.0.1:" + etcd.clientPort(), Map.of());
      a.restAuthentication(USER, PASSWORD);
      agents.put(name, a);
    }
    agents.values().forEach(RegentAgent::start);
    Files.createDirectories(SCREENSHOTS);
    // Selenium warns that it has no DevTools bindings for this Chromium: none are used here.
    SELENIUM_LOG.setLevel(java.util.logging.Level.SEVERE);
    profile = Files.createTempDirectory("regent-chromium");
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    // The flags that keep Chromium from reaching out to the network, which is closed here.
    options.addArguments(
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1400,1100",
        "--user-data-dir=" + profile);
    ChromeDriverService service =
        new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).build();
    browser = new ChromeDriver(service, options);
  }

  @AfterAll
  static void stop() {
    try {
      if (browser != null) {
        browser.quit();
      }
      agents.values().forEach(RegentAgent::close);
    } finally {
      if (etcd != null) {
        etcd.close();
      }
      if (base != null) {
        PostgresTestEnvironment.deleteTree(base);
      }
      if (profile != null) {
        PostgresTestEnvironment.deleteTree(profile);
      }
    }
  }

  // ---- helpers ----

  static Optional<String> leader() {
    return Members.leader(agents);
  }

  static void awaitLeaderAndStreaming(List<String> members) {
    await()
        .atMost(Duration.ofSeconds(180))
        .pollInterval(Duration.ofMillis(250))
        .until(
            () ->
                leader().isPresent()
                    && members.stream()
                        .filter(m -> !m.equals(leader().get()))
                        .allMatch(m -> Members.streaming(agents.get(m))));
  }

  /**
   * Runs {@code script} in the page and returns its result as text. Reads go through the page
   * itself: the table is redrawn at every event, so an element found a moment ago may be gone.
   */
  static String js(String script, Object... args) {
    Object r = ((JavascriptExecutor) browser).executeScript(script, args);
    return r == null ? "" : r.toString();
  }

  static String attr(String member, String attribute) {
    return js(
        "const r = document.querySelector(\"#members tbody tr[data-member='\" + arguments[0]"
            + " + \"']\"); return r ? (r.getAttribute(arguments[1]) || '') : '';",
        member,
        attribute);
  }

  /** The text of {@code selector} inside the member's row (or the member's decisions). */
  static String text(String selector) {
    return js(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : '';", selector);
  }

  static String shownLeader() {
    return js("return document.getElementById('leader-name').dataset.leader || '';");
  }

  static String outcome() {
    return js("return document.getElementById('outcome').dataset.outcome;");
  }

  static String outcomeText() {
    return js("return document.getElementById('outcome').textContent;");
  }

  static void confirm() {
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> browser.findElement(By.id("confirm")).isDisplayed());
    // the previous operation's outcome must not be taken for this one's
    js("document.getElementById('outcome').dataset.outcome = '';");
    browser.findElement(By.id("confirm-yes")).click();
  }

  static void credentials(String user, String password) {
    WebElement u = browser.findElement(By.id("auth-user"));
    WebElement p = browser.findElement(By.id("auth-password"));
    u.clear();
    p.clear();
    u.sendKeys(user);
    p.sendKeys(password);
  }

  static void screenshot(String name) {
    if (browser == null) {
      return;
    }
    File shot = ((TakesScreenshot) browser).getScreenshotAs(OutputType.FILE);
    try {
      Files.copy(
          shot.toPath(), SCREENSHOTS.resolve(name + ".png"), StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** PATCH /config through the page's own agent, with the credentials the test knows. */
  static void resumeIfPaused() {
    if (js("return document.getElementById('pause').dataset.paused").equals("true")
        || agents.values().stream()
            .filter(RegentAgent::isAlive)
            .findFirst()
            .map(a -> a.send("GET", "/config", null, Duration.ofSeconds(5)).body())
            .orElse("")
            .contains("\"pause\":true")) {
      Object status =
          ((JavascriptExecutor) browser)
              .executeAsyncScript(
                  "const done = arguments[arguments.length - 1];"
                      + "fetch('../config', {method: 'PATCH', credentials: 'omit', headers:"
                      + " {'Content-Type': 'application/json', Authorization: 'Basic ' +"
                      + " btoa(arguments[0])}, body: '{\"pause\": null}'}).then(r =>"
                      + " done(r.status), e => done(String(e)));",
                  USER + ":" + PASSWORD);
      assertThat(String.valueOf(status)).isEqualTo("200");
    }
  }

  /**
   * What every case starts from, whatever the one before left: all three agents running (a killed
   * one started again), a leader, two streaming replicas, automatic failover on, and the page
   * loaded afresh on a replica showing all three.
   */
  @BeforeEach
  void aHealthyClusterAndAFreshPage() {
    agents.values().stream().filter(a -> !a.isAlive()).forEach(RegentAgent::start);
    awaitLeaderAndStreaming(List.copyOf(agents.keySet()));
    firstLeader = leader().orElseThrow();
    List<String> replicas =
        agents.keySet().stream().filter(n -> !n.equals(firstLeader)).sorted().toList();
    page = replicas.get(0);
    candidate = replicas.get(1);
    browser.get("http://127.0.0.1:" + agents.get(page).apiPort() + "/console");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                js("return document.getElementById('live').dataset.live").equals("true")
                    && js("return String(document.querySelectorAll('#members tbody tr').length)")
                        .equals("3"));
    resumeIfPaused();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                js("return document.getElementById('pause').dataset.paused").equals("false")
                    && shownLeader().equals(firstLeader));
  }

  // ---- cases ----

  @Test
  void thePageShowsTheTopology() {
    List<String> replicas = List.of(page, candidate);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                attr(firstLeader, "data-role").equals("leader")
                    && replicas.stream()
                        .allMatch(
                            r ->
                                attr(r, "data-role").equals("replica")
                                    && text("tr[data-member='" + r + "'] td.state")
                                        .equals("streaming")
                                    // lag in time, as the leader measures it
                                    && text("tr[data-member='" + r + "'] td.lag-seconds")
                                        .endsWith(" s")));
    assertThat(shownLeader()).isEqualTo(firstLeader);
    assertThat(text("#self")).isEqualTo(page);
    assertThat(text("#leader-detail")).contains("holds the lock, ttl ");
    // the loop's own lines, for every member, fetched by the member serving the page
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () ->
                text("#decisions div[data-member='" + firstLeader + "']")
                    .contains("the leader with the lock"));
    screenshot("1-topology");
  }

  @Test
  void aSwitchoverClickedInThePageMovesTheLeader() {
    credentials(USER, PASSWORD);
    click(By.cssSelector("#switchover-candidate option[value='" + candidate + "']"));
    browser.findElement(By.id("switchover-btn")).click();
    assertThat(browser.findElement(By.id("confirm-text")).getText())
        .contains(firstLeader)
        .contains(candidate);
    confirm();

    await().atMost(Duration.ofSeconds(300)).until(() -> !outcome().isEmpty());
    assertThat(outcome()).as("outcome: %s", outcomeText()).isEqualTo("success");
    assertThat(outcomeText())
        .startsWith("Switched over to \"" + candidate + "\": the store shows it leading")
        .doesNotContainIgnoringCase("unknown");
    // every step the agent streamed, down to the old leader rejoining
    assertThat(
            js(
                "return Array.from(document.querySelectorAll('#steps li'))"
                    + ".map(li => li.dataset.step + ':' + li.dataset.status).join(',')"))
        .isEqualTo(
            "requested:done,candidate_chosen:done,leader_stopping:done,candidate_promoting:done,"
                + "new_leader:done,old_leader_rejoined:done");
    await().atMost(Duration.ofSeconds(30)).until(() -> shownLeader().equals(candidate));
    assertThat(leader()).contains(candidate);
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> attr(firstLeader, "data-role").equals("replica"));
    screenshot("2-switchover");
  }

  @Test
  void aKilledLeaderIsShownGoneAndTheNewLeaderAppears() {
    String killed = firstLeader;
    // kill -9 of the agent and of its postmaster with its backends
    agents.get(killed).crash();

    // its API stops answering at once; its key goes when its lease runs out
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> attr(killed, "data-reachable").equals("false"));
    await()
        .atMost(Duration.ofSeconds(180))
        .until(
            () ->
                attr(killed, "data-gone").equals("true")
                    && !shownLeader().isEmpty()
                    && !shownLeader().equals(killed));
    String newLeader = shownLeader();
    await().atMost(Duration.ofSeconds(60)).until(() -> leader().isPresent());
    assertThat(leader()).contains(newLeader);
    assertThat(attr(newLeader, "data-role")).isEqualTo("leader");
    assertThat(text("tr[data-member='" + killed + "'] td.state")).startsWith("gone");
    screenshot("3-leader-killed");
  }

  @Test
  void anActionWithoutCredentialsIsRefused() {
    credentials("", "");
    browser.findElement(By.id("pause-btn")).click();
    confirm();
    await().atMost(Duration.ofSeconds(30)).until(() -> !outcome().isEmpty());
    assertThat(outcome()).as("outcome: %s", outcomeText()).isEqualTo("refused");
    assertThat(outcomeText()).contains("401");
    // nothing changed: not paused, in the store or in the page
    RegentAgent served = agents.get(page);
    assertThat(served.send("GET", "/config", null, Duration.ofSeconds(5)).body())
        .doesNotContain("\"pause\":true");
    assertThat(js("return document.getElementById('pause').dataset.paused")).isEqualTo("false");
    screenshot("4-refused");

    // a switchover asked for with the wrong password: refused, and the leader stays
    credentials(USER, "guess");
    click(By.cssSelector("#switchover-candidate option[value='" + candidate + "']"));
    browser.findElement(By.id("switchover-btn")).click();
    confirm();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(() -> outcomeText().contains("401") && outcomeText().contains("not authenticated"));
    assertThat(outcome()).isEqualTo("refused");
    assertThat(leader()).contains(firstLeader);
  }

  @Test
  void pauseAndResumeWithCredentials() {
    credentials(USER, PASSWORD);
    browser.findElement(By.id("pause-btn")).click();
    confirm();
    await().atMost(Duration.ofSeconds(60)).until(() -> outcome().equals("success"));
    assertThat(js("return document.getElementById('pause').dataset.paused")).isEqualTo("true");
    screenshot("5-paused");
    browser.findElement(By.id("resume-btn")).click();
    confirm();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                outcomeText().startsWith("Resumed")
                    && js("return document.getElementById('pause').dataset.paused")
                        .equals("false"));
  }

  @Test
  void aReplicaRestartedFromItsRowIsShownRunningAgain() {
    credentials(USER, PASSWORD);
    String replica = candidate;
    String startedBefore =
        agents.get(replica).patroni().orElseThrow().path("postmaster_start_time").asText();
    click(By.cssSelector("tr[data-member='" + replica + "'] button[data-action='restart']"));
    assertThat(browser.findElement(By.id("confirm-text")).getText()).contains(replica);
    confirm();
    await().atMost(Duration.ofSeconds(180)).until(() -> !outcome().isEmpty());
    assertThat(outcome()).as("outcome: %s", outcomeText()).isEqualTo("success");
    assertThat(outcomeText()).contains("restarted successfully");
    assertThat(agents.get(replica).patroni().orElseThrow().path("postmaster_start_time").asText())
        .isNotEqualTo(startedBefore);
    screenshot("6-replica-restarted");
  }

  /**
   * Clicks what {@code by} finds, found again if the page redrew it in between (tables and the
   * candidate list are redrawn when what they show changes, e.g. a member's lag).
   */
  private static void click(By by) {
    await()
        .atMost(Duration.ofSeconds(30))
        .ignoreException(org.openqa.selenium.StaleElementReferenceException.class)
        .until(
            () -> {
              browser.findElement(by).click();
              return true;
            });
  }
}
