package io.pgregent.core.cluster;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The steps of a switchover or failover, read from what the store shows: the {@code failover} key,
 * the leader key, the members' roles, states and timelines. Pure: each {@link #observe} takes one
 * view and returns the steps it completed; nothing is inferred from elapsed time. A later step seen
 * done implies the earlier ones (a short state such as {@code stopping} may fall between two
 * reads). The REST API's event stream, the console and {@code regentctl} all report these same
 * steps.
 */
public final class SwitchoverProgress {

  /** The steps, in the order they happen. */
  public enum Step {
    REQUESTED("requested"),
    CANDIDATE_CHOSEN("candidate chosen"),
    LEADER_STOPPING("leader stopping"),
    CANDIDATE_PROMOTING("candidate promoting"),
    NEW_LEADER("new leader holds the lock"),
    OLD_LEADER_REJOINED("old leader rejoining");

    private final String label;

    Step(String label) {
      this.label = label;
    }

    /** The step's short name, as streamed ({@code leader_stopping}). */
    public String id() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public String label() {
      return label;
    }
  }

  /** A step seen done, with what the store showed. */
  public record Update(Step step, String message) {}

  /** How an operation ended. */
  public enum Result {
    SUCCESS,
    FAILED,
    INCOMPLETE
  }

  /**
   * The end of an operation.
   *
   * @param result success, failed, or incomplete (the bound ran out with a step pending)
   * @param leader the member the store shows holding the lock, or null
   * @param pending the step still pending, or null
   * @param message one sentence a user reads: what happened, or which step is pending and why
   */
  public record Outcome(Result result, String leader, Step pending, String message) {}

  private static final Set<String> LEADER_ROLES = Set.of("primary", "master", "standby_leader");
  private static final Set<String> UP_STATES = Set.of("running", "streaming");

  private final String action;
  private final String oldLeader;
  private final String candidate;
  private final Long oldTimeline;
  private final Map<Step, String> done = new EnumMap<>(Step.class);
  private boolean requestSeen;

  /**
   * @param action {@code switchover} or {@code failover}, for the messages
   * @param before the view the request was made against
   * @param candidate the requested candidate, or null for the best replica
   */
  public SwitchoverProgress(String action, ClusterView before, String candidate) {
    this.action = action;
    this.oldLeader = before.leader().map(Leader::name).orElse(null);
    this.candidate = candidate;
    this.oldTimeline = before.leaderMember().flatMap(Member::timeline).orElse(null);
  }

  public String oldLeader() {
    return oldLeader;
  }

  /** The steps this view completes, in order; empty when it shows nothing new. */
  public List<Update> observe(ClusterView view) {
    if (view.failover().filter(f -> !f.isEmpty()).isPresent()) {
      requestSeen = true;
    }
    Map<Step, String> now = new EnumMap<>(Step.class);
    String holder = view.leader().map(Leader::name).orElse(null);
    boolean moved = holder != null && !holder.equals(oldLeader);
    Optional<Member> old = oldLeader == null ? Optional.empty() : view.member(oldLeader);
    Optional<Member> fresh = moved ? view.member(holder) : Optional.empty();
    if (moved && rejoined(old, fresh)) {
      now.put(
          Step.OLD_LEADER_REJOINED,
          oldLeader + " rejoined as a replica (" + describe(old.get()) + ")");
    }
    if (moved && runsAsLeader(fresh)) {
      now.put(
          Step.NEW_LEADER,
          holder
              + " holds the leader lock and runs as "
              + fresh.get().role().orElse("primary")
              + fresh.get().timeline().map(t -> " on timeline " + t).orElse(""));
    }
    if (moved) {
      now.put(Step.CANDIDATE_PROMOTING, holder + " took the leader lock and promotes");
    }
    if (oldLeader == null) {
      now.put(Step.LEADER_STOPPING, "no member held the leader lock");
    } else if (holder == null) {
      now.put(Step.LEADER_STOPPING, oldLeader + " released the leader lock");
    } else if (old.flatMap(Member::state).filter(s -> !UP_STATES.contains(s)).isPresent()) {
      now.put(Step.LEADER_STOPPING, oldLeader + " is " + old.get().state().get());
    }
    if (candidate != null && requestSeen) {
      now.put(Step.CANDIDATE_CHOSEN, candidate + " (requested)");
    } else if (moved) {
      now.put(Step.CANDIDATE_CHOSEN, holder + " (chosen by " + oldLeaderOr("the members") + ")");
    }
    if (requestSeen) {
      now.put(Step.REQUESTED, "the store holds the " + action + " request");
    }
    List<Update> updates = new ArrayList<>();
    boolean later = false;
    Step[] steps = Step.values();
    for (int i = steps.length - 1; i >= 0; i--) {
      Step s = steps[i];
      String message = now.get(s);
      if (message == null && later) {
        message =
            s == Step.CANDIDATE_CHOSEN
                ? "the best replica, picked by " + oldLeaderOr("the members")
                : "seen through the steps after it";
      }
      if (message != null) {
        later = true;
        if (!done.containsKey(s)) {
          done.put(s, message);
          updates.add(0, new Update(s, message));
        }
      }
    }
    return updates;
  }

  /** The first step not yet seen done, or empty when every step was. */
  public Optional<Step> pending() {
    for (Step s : Step.values()) {
      if (!done.containsKey(s)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /**
   * The outcome this view settles, or empty while the operation runs: success once a new leader
   * runs and the old one rejoined (or has no member key: its agent is not running); failed when the
   * request was cleared while the old leader kept the lock.
   */
  public Optional<Outcome> settled(ClusterView view) {
    String holder = view.leader().map(Leader::name).orElse(null);
    if (done.containsKey(Step.NEW_LEADER)) {
      if (done.containsKey(Step.OLD_LEADER_REJOINED) || oldLeader == null) {
        return Optional.of(success(view, holder, ""));
      }
      if (view.member(oldLeader).isEmpty()) {
        return Optional.of(
            success(
                view,
                holder,
                "; "
                    + oldLeader
                    + " has not rejoined: it has no member key (its agent is not running)"));
      }
      return Optional.empty();
    }
    boolean requestGone = view.failover().filter(f -> !f.isEmpty()).isEmpty();
    if (requestSeen && requestGone && holder != null && holder.equals(oldLeader)) {
      return Optional.of(
          new Outcome(
              Result.FAILED,
              holder,
              pending().orElse(null),
              capitalize(action)
                  + " failed: "
                  + holder
                  + " keeps the leader lock and the request was cleared from the store (no"
                  + " candidate was fit; the leader's log says why)"));
    }
    return Optional.empty();
  }

  /**
   * The outcome when the bound ran out: success without the rejoin when a new leader runs (saying
   * what the old one shows), else incomplete, naming the pending step and why.
   */
  public Outcome timedOut(ClusterView view, long seconds) {
    Optional<Outcome> settled = settled(view);
    if (settled.isPresent()) {
      return settled.get();
    }
    String holder = view.leader().map(Leader::name).orElse(null);
    Step step = pending().orElse(Step.OLD_LEADER_REJOINED);
    if (done.containsKey(Step.NEW_LEADER)) {
      return success(
          view,
          holder,
          "; after " + seconds + " s " + oldLeader + " has not rejoined yet: " + why(step, view));
    }
    return new Outcome(
        Result.INCOMPLETE,
        holder,
        step,
        capitalize(action)
            + " not completed after "
            + seconds
            + " s: step \""
            + step.label()
            + "\" is pending: "
            + why(step, view));
  }

  /** Why {@code step} is not done, in the store's terms. */
  public String why(Step step, ClusterView view) {
    String holder = view.leader().map(Leader::name).orElse(null);
    String request =
        view.failover().filter(f -> !f.isEmpty()).isPresent()
            ? "the request is still in the store"
            : "the store holds no request";
    return switch (step) {
      case REQUESTED -> "the store holds no " + action + " request";
      case CANDIDATE_CHOSEN -> oldLeaderOr("the leader") + " has not picked a replica yet";
      case LEADER_STOPPING ->
          holder
              + " holds the leader lock and is "
              + view.member(holder).flatMap(Member::state).orElse("without a member key")
              + "; "
              + request;
      case CANDIDATE_PROMOTING ->
          holder == null
              ? "no member holds the leader lock"
              : holder + " still holds the leader lock; " + request;
      case NEW_LEADER ->
          holder == null
              ? "no member holds the leader lock"
              : holder + " holds the leader lock; its member key shows " + shows(holder, view);
      case OLD_LEADER_REJOINED -> oldLeader + "'s member key shows " + shows(oldLeader, view);
    };
  }

  private String shows(String name, ClusterView view) {
    return view.member(name).map(SwitchoverProgress::describe).orElse("nothing (no member key)");
  }

  private static String describe(Member m) {
    return "role "
        + m.role().orElse("?")
        + ", state "
        + m.state().orElse("?")
        + m.timeline().map(t -> ", timeline " + t).orElse("");
  }

  private boolean runsAsLeader(Optional<Member> m) {
    return m.isPresent()
        && m.get().role().filter(LEADER_ROLES::contains).isPresent()
        && m.get().state().filter(UP_STATES::contains).isPresent()
        && (oldTimeline == null || m.get().timeline().map(t -> t > oldTimeline).orElse(true));
  }

  private static boolean rejoined(Optional<Member> old, Optional<Member> fresh) {
    if (old.isEmpty() || fresh.isEmpty()) {
      return false;
    }
    Member m = old.get();
    boolean replica =
        m.role().filter(r -> !LEADER_ROLES.contains(r)).isPresent()
            && m.state().filter(UP_STATES::contains).isPresent();
    Optional<Long> leaderTimeline = fresh.get().timeline();
    return replica
        && (leaderTimeline.isEmpty()
            || m.timeline().map(t -> t >= leaderTimeline.get()).orElse(false));
  }

  private Outcome success(ClusterView view, String holder, String note) {
    String verb = action.equals("failover") ? "Failed" : "Switched";
    String message =
        candidate == null || candidate.equals(holder)
            ? verb + " over to \"" + holder + "\""
            : verb + " over to \"" + holder + "\" instead of \"" + candidate + "\"";
    String timeline =
        view.member(holder).flatMap(Member::timeline).map(t -> " on timeline " + t).orElse("");
    return new Outcome(
        Result.SUCCESS, holder, null, message + ": the store shows it leading" + timeline + note);
  }

  private String oldLeaderOr(String otherwise) {
    return oldLeader == null ? otherwise : oldLeader;
  }

  private static String capitalize(String s) {
    return Character.toUpperCase(s.charAt(0)) + s.substring(1);
  }
}
