package io.pgregent.core.dcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.IOException;
import java.net.ConnectException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class DcsRetryTests {

  private final AtomicLong nanos = new AtomicLong();
  private final List<Long> pauses = new ArrayList<>();

  private DcsRetry retry(Duration timeout) {
    return new DcsRetry(
        "etcd3",
        () -> "http://10.0.0.1:2379",
        timeout,
        t -> t instanceof IOException,
        nanos::get,
        millis -> {
          pauses.add(millis);
          nanos.addAndGet(millis * 1_000_000);
        });
  }

  @Test
  void retriesUntilSuccessWithGrowingPauses() {
    AtomicInteger calls = new AtomicInteger();
    String result =
        retry(Duration.ofSeconds(10))
            .call(
                "read",
                t -> {
                  if (calls.incrementAndGet() < 4) {
                    throw new ConnectException("Connection refused");
                  }
                  return "ok";
                });
    assertThat(result).isEqualTo("ok");
    assertThat(pauses).containsExactly(100L, 200L, 400L);
  }

  /**
   * A store member cut off from its quorum answers nothing: with three endpoints, an attempt that
   * hangs gives up after a third of retry_timeout, leaving the time to try the other two.
   */
  @Test
  void spreadOverEndpointsEachAttemptGetsItsShareOfTheDeadline() {
    DcsRetry retry = retry(Duration.ofSeconds(3));
    retry.spreadOver(3);
    List<Duration> given = new ArrayList<>();
    String result =
        retry.call(
            "read",
            t -> {
              given.add(t);
              if (given.size() == 1) {
                nanos.addAndGet(t.toNanos()); // the hung endpoint: no answer in its share
                throw new java.net.SocketTimeoutException("no answer");
              }
              return "ok";
            });
    assertThat(result).isEqualTo("ok");
    assertThat(given).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(1));
  }

  @Test
  void oneEndpointGetsTheWholeDeadline() {
    List<Duration> given = new ArrayList<>();
    retry(Duration.ofSeconds(3))
        .call(
            "read",
            t -> {
              given.add(t);
              return "ok";
            });
    assertThat(given).containsExactly(Duration.ofSeconds(3));
  }

  @Test
  void givesUpAtTheDeadlineNamingEndpointAndCause() {
    Logger logger = (Logger) LoggerFactory.getLogger(DcsRetry.class);
    ListAppender<ILoggingEvent> logs = new ListAppender<>();
    logs.start();
    logger.addAppender(logs);
    try {
      assertThatThrownBy(
              () ->
                  retry(Duration.ofSeconds(3))
                      .call(
                          "read",
                          t -> {
                            throw new ConnectException("Connection refused");
                          }))
          .isInstanceOf(DcsUnreachableException.class)
          .hasMessageContaining("http://10.0.0.1:2379")
          .hasMessageContaining("Connection refused");
      assertThat(nanos.get()).isLessThanOrEqualTo(Duration.ofSeconds(3).toNanos());
      assertThat(logs.list)
          .isNotEmpty()
          .allSatisfy(
              e ->
                  assertThat(e.getFormattedMessage())
                      .contains("http://10.0.0.1:2379")
                      .contains("Connection refused")
                      .doesNotContain("\n"));
    } finally {
      logger.detachAppender(logs);
    }
  }

  @Test
  void eachAttemptIsGivenOnlyTheTimeLeft() {
    List<Duration> given = new ArrayList<>();
    assertThatThrownBy(
            () ->
                retry(Duration.ofSeconds(2))
                    .call(
                        "read",
                        t -> {
                          given.add(t);
                          nanos.addAndGet(t.toNanos());
                          throw new IOException("timed out");
                        }))
        .isInstanceOf(DcsUnreachableException.class);
    assertThat(given).first().isEqualTo(Duration.ofSeconds(2));
    assertThat(nanos.get()).isLessThanOrEqualTo(Duration.ofSeconds(2).toNanos());
  }

  @Test
  void aFailureThatIsNotRetryableSurfacesAtOnce() {
    AtomicInteger calls = new AtomicInteger();
    assertThatThrownBy(
            () ->
                retry(Duration.ofSeconds(10))
                    .call(
                        "read",
                        t -> {
                          calls.incrementAndGet();
                          throw new IllegalStateException("bad request");
                        }))
        .isInstanceOf(DcsException.class)
        .isNotInstanceOf(DcsUnreachableException.class)
        .hasMessageContaining("bad request");
    assertThat(calls).hasValue(1);
  }
}
