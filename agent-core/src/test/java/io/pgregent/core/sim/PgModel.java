package io.pgregent.core.sim;

import io.pgregent.core.cluster.TimelineHistory;
import io.pgregent.core.ha.LocalState;
import io.pgregent.core.ha.PostgresRunState;
import io.pgregent.core.ha.ReplicationStatus;
import io.pgregent.core.ha.StandbyLink;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One member's PostgreSQL as the simulation sees it: its data directory (system identifier,
 * timeline and the switch points of the timelines before it, WAL position) and its process
 * (stopped, running as primary or standby, crashed). No IO and no time of its own: the world moves
 * WAL and replication forward in its ticks.
 *
 * <p>Not modelled yet: start and recovery time (a start is instant), archive recovery, slots,
 * synchronous commit acknowledgement, pg_rewind failure.
 */
public final class PgModel {

  // Every timeline ever created gets its own identity: PostgreSQL tells timelines apart only by
  // number and starting point, the model also knows which ones are really the same.
  private static final AtomicLong TIMELINES = new AtomicLong();

  private final String member;
  private String systemId;
  private PostgresRunState run = PostgresRunState.NO_DATA;
  private boolean inRecovery;
  private long timeline;
  private long lsn;
  // Timeline -> the LSN where it ended, for every timeline before the current one.
  private TreeMap<Long, Long> history = new TreeMap<>();
  // Timeline number -> its identity, for the timelines of our lineage and the current one.
  private TreeMap<Long, Long> identities = new TreeMap<>();
  // The highest timeline number pg_wal has a history file of: a promotion numbers past it.
  private long newestHistory;
  // What went wrong with our WAL that PostgreSQL would not notice (first finding), or null.
  private String corruption;
  private String upstream;
  private boolean streaming;
  // synchronous_standby_names as the agent set it (in the configuration: it survives restarts).
  private Optional<String> synchronousStandbyNames = Optional.empty();

  public PgModel(String member) {
    this.member = member;
  }

  public String member() {
    return member;
  }

  /** Running, out of recovery: it takes writes. */
  public boolean writable() {
    return run == PostgresRunState.RUNNING && !inRecovery;
  }

  public boolean runningReplica() {
    return run == PostgresRunState.RUNNING && inRecovery;
  }

  public long timeline() {
    return timeline;
  }

  /** Whether the data directory is a primary's (no standby signal). */
  public boolean primaryData() {
    return !inRecovery;
  }

  public long lsn() {
    return lsn;
  }

  public Optional<String> upstream() {
    return Optional.ofNullable(upstream);
  }

  public boolean streaming() {
    return streaming;
  }

  public PostgresRunState run() {
    return run;
  }

  /** The system identifier of the data directory, empty before a bootstrap or clone. */
  public Optional<String> systemIdentifier() {
    return Optional.ofNullable(systemId);
  }

  /** The local state the decider sees. */
  public LocalState local() {
    return local(ReplicationStatus.NONE);
  }

  /** The local state the decider sees, with a primary's standbys. */
  public LocalState local(ReplicationStatus replication) {
    return new LocalState(
        run,
        inRecovery,
        Optional.ofNullable(systemId),
        run == PostgresRunState.NO_DATA ? 0 : timeline,
        lsn,
        Optional.ofNullable(upstream),
        streaming,
        Optional.empty(),
        replication,
        lineage(),
        false);
  }

  // ---- synchronous replication ----

  public Optional<String> synchronousStandbyNames() {
    return synchronousStandbyNames;
  }

  /** Reload with a new {@code synchronous_standby_names}; returns the WAL position then. */
  public long setSynchronousStandbyNames(Optional<String> value) {
    synchronousStandbyNames = value;
    return lsn;
  }

  /** What synchronous_standby_names asks: how many of which standbys confirm a commit. */
  private record Rule(boolean quorum, int count, List<String> names) {
    static final Rule NONE = new Rule(false, 0, List.of());

    boolean lists(String member) {
      return names.contains("*") || names.contains(member.toLowerCase(java.util.Locale.ROOT));
    }

    /** Parses the forms the agent writes: *, "a", N ("a","b"), ANY N (...). */
    static Rule of(String value) {
      String v = value.trim();
      if (v.isEmpty()) {
        return NONE;
      }
      boolean quorum = v.startsWith("ANY ");
      if (quorum) {
        v = v.substring(4).trim();
      }
      int count = 1;
      int paren = v.indexOf('(');
      if (paren > 0) {
        count = Integer.parseInt(v.substring(0, paren).trim());
        v = v.substring(paren + 1, v.lastIndexOf(')'));
      }
      List<String> names = new ArrayList<>();
      for (String n : v.split(",")) {
        names.add(n.trim().replace("\"", "").toLowerCase(java.util.Locale.ROOT));
      }
      return new Rule(quorum, count, names);
    }
  }

  // The rule of the setting last parsed (asked at every replication step).
  private Optional<String> ruleParsedFrom;
  private Rule rule = Rule.NONE;

  private Rule rule() {
    if (synchronousStandbyNames != ruleParsedFrom) {
      rule = synchronousStandbyNames.map(Rule::of).orElse(Rule.NONE);
      ruleParsedFrom = synchronousStandbyNames;
    }
    return rule;
  }

  /** pg_stat_replication of this primary, given the standbys that stream from it. */
  public List<StandbyLink> standbyLinks(List<PgModel> streamingStandbys) {
    Rule rule = rule();
    List<StandbyLink> links = new ArrayList<>();
    int syncs = 0;
    for (PgModel s :
        rule.names().contains("*") ? streamingStandbys : byPriority(streamingStandbys)) {
      String state;
      if (!rule.lists(s.member)) {
        state = "async";
      } else if (rule.quorum()) {
        state = "quorum";
      } else {
        state = syncs++ < rule.count() ? "sync" : "potential";
      }
      links.add(new StandbyLink(s.member, "streaming", state, s.lsn));
    }
    return links;
  }

  /** The listed standbys first, in the order listed (their priority), then the others. */
  private List<PgModel> byPriority(List<PgModel> standbys) {
    Rule rule = rule();
    List<PgModel> sorted = new ArrayList<>(standbys);
    sorted.sort(
        java.util.Comparator.comparingInt(
            s -> {
              int i = rule.names().indexOf(s.member.toLowerCase(java.util.Locale.ROOT));
              return i < 0 ? Integer.MAX_VALUE : i;
            }));
    return sorted;
  }

  /**
   * How far commits are acknowledged to clients: everything written without synchronous standbys,
   * else as far as the standbys the rule needs have flushed.
   */
  public long acknowledgeable(List<PgModel> streamingStandbys) {
    Rule rule = rule();
    if (rule.count() == 0) {
      return lsn;
    }
    List<Long> flushed = new ArrayList<>();
    for (StandbyLink l : standbyLinks(streamingStandbys)) {
      if (l.syncState().equals("sync") || l.syncState().equals("quorum")) {
        flushed.add(l.flushLsn());
      }
    }
    if (flushed.size() < rule.count()) {
      return -1;
    }
    flushed.sort(java.util.Comparator.reverseOrder());
    return Math.min(lsn, flushed.get(rule.count() - 1));
  }

  /** Whether our WAL holds position {@code position} of timeline {@code tl}. */
  public boolean holds(long tl, long position) {
    if (tl == timeline) {
      return lsn >= position;
    }
    Long end = history.get(tl);
    return end != null && end >= position;
  }

  /** The switches that led to our timeline, as its history file has them. */
  public List<TimelineHistory.Entry> lineage() {
    List<TimelineHistory.Entry> lines = new ArrayList<>();
    history.forEach(
        (tl, end) ->
            lines.add(
                new TimelineHistory.Entry(tl, end, "no recovery target specified", null, null)));
    return lines;
  }

  /**
   * WAL PostgreSQL took for another's without noticing: streamed or rewound across a timeline
   * number taken twice from one point, so this copy holds records its upstream never wrote. Null
   * while there is none.
   */
  public String corruption() {
    return corruption;
  }

  /** The highest timeline number whose history file pg_wal holds. */
  public long newestHistory() {
    return newestHistory;
  }

  // ---- operations ----

  /** initdb, then start as the primary of a new cluster on timeline 1. */
  public void bootstrap(String newSystemId) {
    systemId = newSystemId;
    timeline = 1;
    lsn = 0x3000028L;
    history = new TreeMap<>();
    identities = new TreeMap<>(java.util.Map.of(1L, TIMELINES.incrementAndGet()));
    newestHistory = 1;
    run = PostgresRunState.RUNNING;
    inRecovery = false;
    upstream = null;
    streaming = false;
  }

  /** pg_basebackup from {@code source}: its data as of now, stopped, configured as its standby. */
  public void cloneFrom(PgModel source) {
    systemId = source.systemId;
    timeline = source.timeline;
    lsn = source.lsn;
    history = new TreeMap<>(source.history);
    identities = new TreeMap<>(source.identities);
    // pg_basebackup brings the history file of the source's timeline, not the others.
    newestHistory = source.timeline;
    run = PostgresRunState.STOPPED;
    inRecovery = true;
    upstream = source.member;
    streaming = false;
  }

  public void start(boolean asReplica, String leader) {
    run = PostgresRunState.RUNNING;
    if (asReplica) {
      inRecovery = true;
      upstream = leader;
    }
    streaming = false;
  }

  /** Immediate stop; a standby signal is left when {@code asReplica}, as a demotion does. */
  public void stop(boolean asReplica) {
    if (run == PostgresRunState.RUNNING || run == PostgresRunState.CRASHED) {
      run = PostgresRunState.STOPPED;
    }
    if (asReplica) {
      inRecovery = true;
    }
    streaming = false;
  }

  /**
   * A fast (clean) shutdown of a primary: its walsenders send the standbys streaming from it every
   * record, the shutdown checkpoint included, before it stops; a standby signal is left.
   */
  public void stopClean(List<PgModel> streamingStandbys) {
    for (PgModel s : streamingStandbys) {
      s.replicateFrom(this, Math.max(0, lsn - s.lsn) + Long.MAX_VALUE / 4);
    }
    stop(true);
  }

  /**
   * A fast (clean) shutdown that leaves the configuration as it is (a primary's data stays a
   * primary's): as {@link #stopClean}, the standbys streaming from it get every record first.
   */
  public void stopFast(List<PgModel> streamingStandbys) {
    for (PgModel s : streamingStandbys) {
      s.replicateFrom(this, Math.max(0, lsn - s.lsn) + Long.MAX_VALUE / 4);
    }
    stop(false);
  }

  /**
   * Writes a standby's configuration into the data directory of a server that does not run: the
   * standby signal, and {@code upstream} as the member it streams from once started (null: none).
   */
  public void configureStandby(String upstream) {
    if (run == PostgresRunState.RUNNING) {
      throw new IllegalStateException("the standby configuration of a running server: " + this);
    }
    inRecovery = true;
    this.upstream = upstream;
    streaming = false;
  }

  /** The postmaster dies (with its machine): nothing is written any more. */
  public void crash() {
    if (run == PostgresRunState.RUNNING) {
      run = PostgresRunState.CRASHED;
    }
    streaming = false;
  }

  /**
   * pg_ctl promote: a new timeline forks at the current position, numbered after the newest history
   * file in pg_wal. Returns the old timeline.
   */
  public long promote() {
    long old = timeline;
    history.put(old, lsn);
    timeline = Math.max(old, newestHistory) + 1;
    newestHistory = timeline;
    identities.put(timeline, TIMELINES.incrementAndGet());
    inRecovery = false;
    upstream = null;
    streaming = false;
    return old;
  }

  /**
   * Placeholder history files for the numbers after ours through {@code through}: the next
   * promotion numbers past them. Returns the numbers that had no file.
   */
  public List<Long> reserveTimelines(long through) {
    List<Long> written = new ArrayList<>();
    if (run == PostgresRunState.NO_DATA) {
      return written;
    }
    for (long tl = Math.max(timeline, newestHistory) + 1; tl <= through; tl++) {
      written.add(tl);
    }
    newestHistory = Math.max(newestHistory, through);
    return written;
  }

  /** The number the next promotion takes: the first after ours without a history file. */
  public long nextTimeline() {
    return Math.max(timeline, newestHistory) + 1;
  }

  /** Restart as a standby of {@code leader} (primary_conninfo changed). */
  public void follow(String leader) {
    upstream = leader;
    inRecovery = true;
    run = PostgresRunState.RUNNING;
    streaming = false;
  }

  /** pg_rewind onto {@code source}'s history, then start as its standby. */
  public void rewind(PgModel source) {
    long fork = forkPoint(source);
    long rewound = Math.min(lsn, fork);
    if (rewound > sharedWith(source)) {
      corrupted("pg_rewind onto " + source.member + " kept our WAL to " + rewound, source);
    }
    history = new TreeMap<>(source.history);
    identities = new TreeMap<>(source.identities);
    // pg_rewind copies the source's history files and removes the others.
    newestHistory = source.newestHistory;
    timeline = source.timeline;
    lsn = rewound;
    follow(source.member);
  }

  // ---- the world's ticks ----

  /** Clients commit on a writable primary. */
  public void write(long bytes) {
    if (writable()) {
      lsn += bytes;
    }
  }

  /** A running standby streams from its upstream when their histories agree. */
  public void replicateFrom(PgModel source, long maxBytes) {
    if (!runningReplica()) {
      streaming = false;
      return;
    }
    if (source == null
        || source.run != PostgresRunState.RUNNING
        || !source.systemIdMatches(systemId)
        || !canFollow(source)) {
      streaming = false;
      return;
    }
    streaming = true;
    if (lsn > sharedWith(source)) {
      corrupted("streaming from " + source.member + " at " + lsn, source);
    }
    // The walreceiver fetches the history files up to the upstream's timeline.
    newestHistory = Math.max(newestHistory, source.timeline);
    long budget = maxBytes;
    while (source.timeline != timeline) {
      // Replay our timeline up to where the upstream's lineage switched off it, then the next one.
      Long end = source.history.get(timeline);
      if (end == null) {
        history = new TreeMap<>(source.history);
        identities = new TreeMap<>(source.identities);
        timeline = source.timeline;
        break;
      }
      long step = Math.min(end - lsn, budget);
      lsn += step;
      budget -= step;
      if (lsn < end) {
        return;
      }
      Long next = source.history.higherKey(timeline);
      timeline = next != null ? next : source.timeline;
      history = new TreeMap<>(source.history.headMap(timeline));
      identities = new TreeMap<>(source.identities.headMap(timeline, true));
    }
    lsn = Math.min(source.lsn, lsn + budget);
  }

  private boolean systemIdMatches(String other) {
    return systemId != null && systemId.equals(other);
  }

  /**
   * Whether our WAL is a prefix of {@code source}'s: streaming can go on without a rewind. A
   * timeline both histories end elsewhere is two timelines under one number: PostgreSQL will not
   * stream across it, even from where they still agree.
   */
  public boolean canFollow(PgModel source) {
    for (var e : history.entrySet()) {
      Long theirs = source.history.get(e.getKey());
      if (theirs != null && !theirs.equals(e.getValue())) {
        return false;
      }
    }
    return lsn <= forkPoint(source);
  }

  /**
   * How far our WAL really is {@code source}'s: up to where we left the last timeline that is the
   * same one for both (by identity, not number), or our position on it.
   */
  long sharedWith(PgModel source) {
    long shared = 0;
    for (var e : identities.entrySet()) {
      long tl = e.getKey();
      if (!e.getValue().equals(source.identities.get(tl))) {
        return shared;
      }
      long ours = tl == timeline ? lsn : history.get(tl);
      long theirs = tl == source.timeline ? source.lsn : source.history.get(tl);
      if (ours != theirs || tl == timeline) {
        return Math.min(ours, theirs);
      }
      shared = ours;
    }
    return shared;
  }

  private void corrupted(String what, PgModel source) {
    if (corruption == null) {
      corruption =
          what
              + ": past "
              + sharedWith(source)
              + ", where our timelines part ("
              + this
              + " "
              + identities
              + "; "
              + source
              + " "
              + source.identities
              + ")";
    }
  }

  /** Where our history and {@code source}'s part: the last LSN they share. */
  long forkPoint(PgModel source) {
    long fork = Long.MAX_VALUE;
    for (var e : history.entrySet()) {
      Long theirs = source.history.get(e.getKey());
      if (theirs == null) {
        // They are still on this timeline, or never knew it.
        return source.timeline == e.getKey() ? Math.min(e.getValue(), source.lsn) : 0;
      }
      if (!theirs.equals(e.getValue())) {
        return Math.min(theirs, e.getValue());
      }
    }
    if (source.timeline == timeline) {
      return Math.min(fork, source.lsn);
    }
    Long end = source.history.get(timeline);
    return end == null ? 0 : end;
  }

  @Override
  public String toString() {
    String role =
        switch (run) {
          case RUNNING -> inRecovery ? "replica" : "primary";
          default -> run.name().toLowerCase(java.util.Locale.ROOT);
        };
    return role
        + " tl"
        + timeline
        + " lsn="
        + lsn
        + (upstream != null ? " <-" + upstream + (streaming ? " streaming" : "") : "");
  }
}
