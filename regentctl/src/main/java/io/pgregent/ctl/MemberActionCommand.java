package io.pgregent.ctl;

import io.pgregent.core.cluster.ClusterConfig;
import io.pgregent.core.cluster.Member;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** Commands that call each chosen member's REST API: restart, reload, reinit. */
final class MemberActionCommand {

  /** A member key state that means PostgreSQL is up. */
  private static final java.util.Set<String> UP = java.util.Set.of("running", "streaming");

  private MemberActionCommand() {}

  /** What restart, reload and flush share: the cluster, a role to choose members by, --force. */
  abstract static class OnMembers extends CtlCommand {
    @Parameters(index = "0", paramLabel = "CLUSTER_NAME")
    String cluster;

    @Option(
        names = {"-r", "--role"},
        description = "Only members with this role: leader, primary, standby-leader, replica, any")
    String role;

    @Option(names = "--force", description = "Do not ask for confirmation")
    boolean force;
  }

  /** {@code restart}: {@code POST /restart} on each member, now or scheduled, with conditions. */
  @Command(name = "restart", description = "Restart members' PostgreSQL")
  static class Restart extends OnMembers {
    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER_NAMES")
    List<String> names = new ArrayList<>();

    @Option(names = "--any", description = "Restart one member only")
    boolean any;

    @Option(
        names = "--scheduled",
        paramLabel = "TIMESTAMP",
        description = "When (ISO 8601), or now")
    String scheduled;

    @Option(
        names = "--pg-version",
        paramLabel = "VERSION",
        description = "Only if PostgreSQL is older than this (e.g. 15.6)")
    String pgVersion;

    @Option(names = "--pending", description = "Only if a restart is pending")
    boolean pending;

    @Option(
        names = "--timeout",
        paramLabel = "SECONDS",
        description = "Fail (and fail over if the leader) when the restart takes longer")
    String timeout;

    @Override
    public Integer call() {
      try (Session s = open(cluster)) {
        ClusterState state = s.state();
        List<Member> members = members(state, names, role, force, "restart");
        if (any) {
          members = List.of(members.get(new java.util.Random().nextInt(members.size())));
        }
        if (scheduled == null && !force) {
          String example = SwitchoverCommand.exampleTime();
          scheduled =
              terminal()
                  .prompt("When should the restart take place (e.g. " + example + ") ", "now");
        }
        OffsetDateTime at = SwitchoverCommand.parseSchedule(scheduled);
        if (pgVersion == null && !force) {
          pgVersion =
              terminal()
                  .prompt(
                      "Restart if the PostgreSQL version is less than provided (e.g. 15.6) ", "");
          if (pgVersion.isBlank()) {
            pgVersion = null;
          }
        }
        Map<String, Object> body = new LinkedHashMap<>();
        if (pending) {
          body.put("restart_pending", true);
        }
        if (role != null && !role.equals("any")) {
          body.put(
              "role",
              switch (role) {
                case "leader", "master" -> "primary";
                case "standby" -> "replica";
                case "standby-leader" -> "standby_leader";
                default -> role;
              });
        }
        if (pgVersion != null) {
          body.put("postgres_version", pgVersion);
        }
        if (timeout != null) {
          body.put("timeout", timeout);
        }
        if (at != null) {
          body.put("schedule", at.toString());
        }
        confirmMembers(state, "restart", members, force);
        MemberApi api = api();
        Duration wait =
            Duration.ofSeconds(
                timeout != null && timeout.matches("\\d+") ? Long.parseLong(timeout) + 30 : 330);
        return eachMember(
            members,
            m -> {
              MemberApi.Response r =
                  at != null
                      ? api.call(m, "POST", "restart", Formats.json(body), wait)
                      : follow(
                          s, m, () -> api.call(m, "POST", "restart", Formats.json(body), wait));
              if (r.status() == 409 && force) {
                // Replace the scheduled restart, as patronictl does with --force.
                api.send(m, "DELETE", "restart", null);
                r = api.call(m, "POST", "restart", Formats.json(body), wait);
              }
              if (r.status() == 200) {
                println("Success: restart on member " + m.name());
              } else if (r.status() == 202) {
                println("Success: restart scheduled on member " + m.name());
              } else if (r.status() == 409) {
                println("Failed: another restart is already scheduled on member " + m.name());
                return false;
              } else {
                println("Failed: restart for member " + m.name() + ", " + r.describe());
                return false;
              }
              return true;
            });
      }
    }

    /**
     * Runs the restart call while printing its steps as the store shows them: requested, PostgreSQL
     * stopping (the member's key leaves running), running again (after the answer, the key shows it
     * up); returns the answer.
     */
    private MemberApi.Response follow(
        Session s, Member m, java.util.function.Supplier<MemberApi.Response> call) {
      String name = m.name();
      println(SwitchoverCommand.stamp() + " restart requested: POST /restart sent to " + name);
      java.util.concurrent.CompletableFuture<MemberApi.Response> answer =
          java.util.concurrent.CompletableFuture.supplyAsync(call);
      boolean stopping = false;
      long deadline = Long.MAX_VALUE;
      try {
        while (true) {
          long since = s.dcs().changeCount();
          java.util.Optional<String> state = s.read().member(name).flatMap(Member::state);
          if (!stopping && state.filter(x -> !UP.contains(x)).isPresent()) {
            stopping = true;
            println(
                SwitchoverCommand.stamp() + " PostgreSQL stopping: " + name + " is " + state.get());
          }
          if (answer.isDone()) {
            MemberApi.Response r = answer.join();
            if (r.status() != 200) {
              return r;
            }
            if (!stopping) {
              stopping = true;
              println(
                  SwitchoverCommand.stamp()
                      + " PostgreSQL stopping: seen through "
                      + name
                      + "'s answer");
            }
            if (state.filter(UP::contains).isPresent()) {
              println(
                  SwitchoverCommand.stamp()
                      + " running again: the store shows "
                      + name
                      + " "
                      + state.get());
              return r;
            }
            if (deadline == Long.MAX_VALUE) {
              deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            } else if (System.nanoTime() > deadline) {
              println(
                  SwitchoverCommand.stamp()
                      + " running again: pending after 30 s: the store shows "
                      + name
                      + " "
                      + state.orElse("without a member key"));
              return r;
            }
          }
          s.dcs().awaitChange(since, Duration.ofMillis(500));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return answer.getNow(new MemberApi.Response(-1, "interrupted"));
      }
    }
  }

  /** {@code reload}: {@code POST /reload} on each member. */
  @Command(name = "reload", description = "Reload members' configuration")
  static class Reload extends OnMembers {
    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER_NAMES")
    List<String> names = new ArrayList<>();

    @Override
    public Integer call() {
      try (Session s = open(cluster)) {
        var view = s.read();
        ClusterState state = new ClusterState(s.scope(), view);
        List<Member> members = members(state, names, role, force, "reload");
        confirmMembers(state, "reload", members, force);
        int loopWait = view.config().map(ClusterConfig::loopWait).orElse(settings().loopWait());
        MemberApi api = api();
        return eachMember(
            members,
            m -> {
              MemberApi.Response r = api.send(m, "POST", "reload", null);
              if (r.status() != 202) {
                println("Failed: reload for member " + m.name() + ", " + r.describe());
                return false;
              }
              println(
                  "Reload request received for member "
                      + m.name()
                      + " and will be processed within "
                      + loopWait
                      + " seconds");
              return true;
            });
      }
    }
  }

  /** {@code reinit}: {@code POST /reinitialize} on each named replica. */
  @Command(name = "reinit", description = "Reinitialize replicas (a fresh copy of the leader)")
  static class Reinit extends CtlCommand {
    @Parameters(index = "0", paramLabel = "CLUSTER_NAME")
    String cluster;

    @Parameters(index = "1..*", arity = "0..*", paramLabel = "MEMBER_NAMES")
    List<String> names = new ArrayList<>();

    @Option(names = "--force", description = "Do not ask for confirmation; cancel a running one")
    boolean force;

    @Option(names = "--from-leader", description = "Copy from the leader, not another replica")
    boolean fromLeader;

    @Option(names = "--wait", description = "Wait until reinitialization completes")
    boolean await;

    @Override
    public Integer call() throws InterruptedException {
      try (Session s = open(cluster)) {
        List<Member> members = members(s.state(), names, "replica", force, "reinitialize");
        MemberApi api = api();
        List<Member> started = new ArrayList<>();
        int code =
            eachMember(
                members,
                m -> {
                  if (!force) {
                    terminal()
                        .confirmOrAbort(
                            "Are you sure you want to reinitialize members " + m.name() + "?");
                  }
                  String body = "{\"force\": " + force + ", \"from_leader\": " + fromLeader + "}";
                  MemberApi.Response r = api.send(m, "POST", "reinitialize", body);
                  if (r.status() == 503
                      && r.body().strip().endsWith("already in progress")
                      && !force
                      && terminal().confirm("Do you want to cancel it and reinitialize anyway?")) {
                    r =
                        api.send(
                            m,
                            "POST",
                            "reinitialize",
                            "{\"force\": true, \"from_leader\": " + fromLeader + "}");
                  }
                  if (r.status() != 200) {
                    println("Failed: reinitialize for member " + m.name() + ", " + r.describe());
                    return false;
                  }
                  println("Success: reinitialize for member " + m.name());
                  started.add(m);
                  return true;
                });
        if (await && !started.isEmpty()) {
          println(
              "Waiting for reinitialize to complete on: "
                  + String.join(", ", started.stream().map(Member::name).toList()));
          for (Member m : started) {
            while (true) {
              MemberApi.Response r = api.get(m, "patroni");
              String st = r.ok() ? Formats.parseYaml(r.body()).path("state").asText("") : "";
              if (r.ok()
                  && !st.equals("creating replica")
                  && !st.equals("stopped")
                  && !st.equals("starting")) {
                break;
              }
              Thread.sleep(1000);
            }
          }
          println(
              "Reinitialize is completed on: "
                  + String.join(", ", started.stream().map(Member::name).toList()));
        }
        return code;
      }
    }
  }
}
