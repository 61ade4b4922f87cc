package io.pgregent.agent.rest;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.pgregent.core.cluster.ClusterView;
import io.pgregent.core.cluster.SwitchoverProgress;
import io.pgregent.core.cluster.SwitchoverProgress.Outcome;
import io.pgregent.core.cluster.SwitchoverProgress.Step;
import io.pgregent.core.cluster.SwitchoverProgress.Update;
import io.pgregent.core.dcs.ClusterCodec;
import io.pgregent.core.dcs.Dcs;
import io.pgregent.core.dcs.DcsException;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A switchover or failover as server-sent events, on the request's own thread: {@code operation}
 * (the steps to expect), one {@code step} per step as the store shows it done, {@code pending} when
 * the step waited on or the reason changes, and one final {@code outcome}: success, failed, or
 * incomplete naming the pending step and why. Each event's data is one JSON object.
 */
final class SwitchoverStream {

  private static final Logger log = LoggerFactory.getLogger(SwitchoverStream.class);

  /** The longest wait between two reads: the store's watch wakes the stream sooner. */
  private static final Duration REREAD = Duration.ofSeconds(1);

  /** A quiet stream gets a comment line this often, so that a dead connection is noticed. */
  private static final long HEARTBEAT_NANOS = Duration.ofSeconds(10).toNanos();

  private SwitchoverStream() {}

  /** Whether the client asked for events (and not only accepts anything). */
  static boolean wanted(String accept) {
    return accept != null
        && accept.toLowerCase(java.util.Locale.ROOT).contains("text/event-stream");
  }

  static void write(
      Dcs dcs, HttpServletResponse response, SwitchoverProgress progress, Duration bound)
      throws IOException {
    response.setStatus(200);
    response.setContentType("text/event-stream;charset=utf-8");
    response.setHeader("Cache-Control", "no-cache");
    // a proxy in front of the API must pass each event on at once
    response.setHeader("X-Accel-Buffering", "no");
    OutputStream out = response.getOutputStream();
    long started = System.nanoTime();
    long deadline = started + bound.toNanos();
    ObjectNode operation = ClusterCodec.nodes().objectNode();
    operation.put("leader", progress.oldLeader());
    operation.put("bound_seconds", bound.toSeconds());
    ArrayNode steps = operation.putArray("steps");
    for (Step s : Step.values()) {
      steps.addObject().put("step", s.id()).put("label", s.label());
    }
    send(out, "operation", operation);
    String lastPending = null;
    long lastSent = System.nanoTime();
    ClusterView view = null;
    String storeError = null;
    while (true) {
      long since = dcs.changeCount();
      try {
        view = dcs.read();
        storeError = null;
      } catch (DcsException e) {
        storeError = e.getMessage();
        log.debug("store read failed while following the operation: {}", storeError);
      }
      if (view != null) {
        for (Update u : progress.observe(view)) {
          send(
              out,
              "step",
              ClusterCodec.nodes()
                  .objectNode()
                  .put("step", u.step().id())
                  .put("label", u.step().label())
                  .put("message", u.message()));
        }
        Optional<Outcome> settled = progress.settled(view);
        if (settled.isPresent()) {
          send(out, "outcome", outcome(settled.get()));
          return;
        }
      }
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        long seconds = Duration.ofNanos(System.nanoTime() - started).toSeconds();
        Outcome o =
            view == null
                ? new Outcome(
                    SwitchoverProgress.Result.INCOMPLETE,
                    null,
                    progress.pending().orElse(null),
                    "Not completed after "
                        + seconds
                        + " s: the store cannot be read: "
                        + storeError)
                : progress.timedOut(view, seconds);
        send(out, "outcome", outcome(o));
        return;
      }
      Optional<Step> step = progress.pending();
      if (step.isPresent() && view != null) {
        String why =
            storeError != null
                ? "the store cannot be read: " + storeError
                : progress.why(step.get(), view);
        String key = step.get().id() + why;
        if (!key.equals(lastPending)) {
          lastPending = key;
          lastSent = System.nanoTime();
          send(
              out,
              "pending",
              ClusterCodec.nodes()
                  .objectNode()
                  .put("step", step.get().id())
                  .put("label", step.get().label())
                  .put("why", why));
        }
      }
      if (System.nanoTime() - lastSent > HEARTBEAT_NANOS) {
        lastSent = System.nanoTime();
        out.write(": waiting\n\n".getBytes(StandardCharsets.UTF_8));
        out.flush();
      }
      try {
        dcs.awaitChange(since, Duration.ofNanos(Math.min(left, REREAD.toNanos())));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        send(
            out,
            "outcome",
            outcome(
                new Outcome(
                    SwitchoverProgress.Result.INCOMPLETE,
                    null,
                    step.orElse(null),
                    "The agent is shutting down while step \""
                        + step.map(Step::label).orElse("?")
                        + "\" is pending")));
        return;
      }
    }
  }

  private static ObjectNode outcome(Outcome o) {
    ObjectNode n = ClusterCodec.nodes().objectNode();
    n.put("result", o.result().name().toLowerCase(java.util.Locale.ROOT));
    n.put("leader", o.leader());
    n.put("pending", o.pending() == null ? null : o.pending().id());
    n.put("message", o.message());
    return n;
  }

  private static void send(OutputStream out, String event, ObjectNode data) throws IOException {
    String frame = "event: " + event + "\ndata: " + data.toString() + "\n\n";
    out.write(frame.getBytes(StandardCharsets.UTF_8));
    out.flush();
  }
}
