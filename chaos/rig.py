"""The chaos rig: hosts as network namespaces, real agents, PostgreSQL and a store, seeded faults.

One run: a fresh cluster (three hosts, each one agent, Regent or Patroni, with its PostgreSQL; a
three-member etcd cluster or ZooKeeper ensemble; a client host running the workload and the
probe), a number of faults drawn from
the seed, then a heal, the final rows, the checker (check.py), and one result line appended to the
results file. Everything lives in namespaces named after the run's random prefix; teardown kills
every process in them by PID and deletes them, also after a failure or a signal.
"""

import argparse
import ctypes
import datetime
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
PG_BIN = "/usr/lib/postgresql/15/bin"
OWNERS = "/run/regent-chaos"
PASSWORD = "chaos-su-secret"
HOSTS = ["n1", "n2", "n3"]
STORES = ["e1", "e2", "e3"]
FAULT_CLASSES = [
    "kill9-leader-host",
    "sigstop-agent",
    "store-partition",
    "lossy-link",
    "store-outage",
    "kill9-agent",
    "kill9-postmaster",
    "isolate-host",
    "sigstop-postgres",
    "store-member-loss",
    "store-partition-oneway",
    "member-partition",
    "switchover",
    "switchover-kill9-agent",
    "slow-postgres",
    "store-minority",
    "clock-jump",
]
PATRONI = os.environ.get("CHAOS_PATRONI", "/var/cache/regent/patroni-4.1.5/bin/patroni")
ZOOKEEPER_JAR = "/usr/share/java/zookeeper.jar"
FAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


def log(msg):
    print("chaos %s %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def run(*cmd, check=True, ns=None, quiet=False):
    if ns:
        cmd = ("ip", "netns", "exec", ns) + cmd
    r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    if check and r.returncode != 0:
        raise RuntimeError("%s failed (%d): %s" % (" ".join(cmd), r.returncode, r.stdout.strip()))
    if not quiet and r.returncode != 0:
        log("%s: %s" % (" ".join(cmd), r.stdout.strip()))
    return r


def agent_version(agent):
    """Patroni's version ("3.0.2"), or None for Regent (the jar is the checkout's)."""
    if agent != "patroni" or not os.access(PATRONI, os.X_OK):
        return None
    r = subprocess.run([PATRONI, "--version"], capture_output=True, text=True)
    return r.stdout.split()[-1] if r.returncode == 0 and r.stdout.split() else None


def preflight(classes, store="etcd", agent="regent"):
    """Why the rig cannot run here, or None."""
    if agent == "patroni" and not os.access(PATRONI, os.X_OK):
        return "no Patroni at %s (.ci/patroni.sh installs 4.1; CHAOS_PATRONI names another)" % (
            PATRONI)
    if store == "zookeeper" and not os.path.exists(ZOOKEEPER_JAR):
        return "no ZooKeeper server: apt-get install -y --no-install-recommends zookeeper"
    if os.geteuid() != 0:
        return "the chaos rig needs root (network namespaces, veth pairs, nft, tc); run it as root"
    for tool in ["ip", "tc", "etcd", "setpriv"]:
        if not shutil.which(tool):
            return "no %s on PATH (Debian: iproute2, etcd-server, util-linux)" % tool
    if not shutil.which("nft"):
        return "no nft on PATH: apt-get install -y nftables"
    if "clock-jump" in classes and not os.path.exists(FAKETIME):
        return "no libfaketime for clock-jump: apt-get install -y libfaketime"
    if not os.path.exists(PG_BIN + "/pg_ctl"):
        return "no PostgreSQL 15 in %s: apt-get install -y postgresql-15" % PG_BIN
    probe = "rcprobe%d" % os.getpid()
    r = run("ip", "netns", "add", probe, check=False, quiet=True)
    if r.returncode != 0:
        return "cannot create network namespaces here (ip netns add: %s)" % r.stdout.strip()
    run("ip", "netns", "del", probe, check=False, quiet=True)
    return None


def netns_pids(ns):
    r = run("ip", "netns", "pids", ns, check=False, quiet=True)
    if r.returncode != 0:
        return []
    # The rig's own thread may sit in the client namespace: it is never a target.
    return [int(p) for p in r.stdout.split() if p.isdigit() and int(p) != os.getpid()]


def kill_all_in(ns, sig=signal.SIGKILL):
    """Signals every process in the namespace, by PID, until none is left (or 5 s)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        pids = netns_pids(ns)
        if not pids:
            return
        for p in pids:
            try:
                os.kill(p, sig)
            except ProcessLookupError:
                pass
        if sig != signal.SIGKILL:
            return
        time.sleep(0.1)


def own_namespaces(prefix):
    r = run("ip", "netns", "list", check=False, quiet=True)
    return [l.split()[0] for l in r.stdout.splitlines() if l.startswith(prefix + "-")]


def teardown(prefix, base=None):
    """Stops everything of run `prefix`: PostgreSQL by an immediate shutdown, then every process
    left in the run's namespaces by SIGKILL, then the namespaces."""
    if base:
        for h in HOSTS:
            pidfile = os.path.join(base, h, "data", "postmaster.pid")
            try:
                os.kill(int(open(pidfile).readline()), signal.SIGQUIT)
            except (OSError, ValueError):
                pass
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(
            os.path.exists(os.path.join(base, h, "data", "postmaster.pid")) for h in HOSTS
        ):
            time.sleep(0.2)
    for ns in own_namespaces(prefix):
        kill_all_in(ns)
    if base:
        # A postmaster killed without its shutdown leaves its System V segment: remove it by the
        # id its pid file names (line 7: key and id).
        for h in HOSTS:
            try:
                lines = open(os.path.join(base, h, "data", "postmaster.pid")).read().splitlines()
                run("ipcrm", "-m", lines[6].split()[1], check=False, quiet=True)
            except (OSError, IndexError):
                pass
    for ns in own_namespaces(prefix):
        run("ip", "netns", "del", ns, check=False, quiet=True)
    try:
        os.remove(os.path.join(OWNERS, prefix))
    except OSError:
        pass


def remove_dead_faketime_files():
    """libfaketime names its shared memory and semaphore in /dev/shm by the process's pid and
    leaves them when the process is killed: a later process of another user given the same pid
    then fails to start ("sem_open failed ... Permission denied"). Removes those of dead pids."""
    for name in os.listdir("/dev/shm"):
        for stem in ("faketime_shm_", "sem.faketime_sem_"):
            if name.startswith(stem) and name[len(stem):].isdigit():
                try:
                    os.kill(int(name[len(stem):]), 0)
                except ProcessLookupError:
                    try:
                        os.remove(os.path.join("/dev/shm", name))
                    except OSError:
                        pass
                except OSError:
                    pass


def cleanup_stale():
    """Tears down runs whose rig process is gone (a run killed with SIGKILL)."""
    remove_dead_faketime_files()
    if not os.path.isdir(OWNERS):
        return
    for prefix in os.listdir(OWNERS):
        try:
            owner = json.load(open(os.path.join(OWNERS, prefix)))
            os.kill(owner["pid"], 0)
            continue
        except ProcessLookupError:
            pass
        except (OSError, ValueError, KeyError):
            continue
        log("tearing down the stale run %s" % prefix)
        teardown(prefix, owner.get("base"))


class Net:
    """A switch namespace holding a bridge, and one namespace per host, each with a veth on it."""

    def __init__(self, prefix, subnet):
        self.prefix, self.subnet = prefix, subnet  # subnet like "10.201.37"
        self.addr = {}

    def ns(self, node):
        return "%s-%s" % (self.prefix, node)

    def create(self, nodes):
        sw = self.ns("sw")
        run("ip", "netns", "add", sw)
        run("ip", "-n", sw, "link", "set", "lo", "up")
        run("ip", "-n", sw, "link", "add", "br0", "type", "bridge")
        run("ip", "-n", sw, "link", "set", "br0", "up")
        for node, last in nodes:
            ns = self.ns(node)
            a, b = self.prefix + node + "a", self.prefix + node + "b"
            run("ip", "netns", "add", ns)
            run("ip", "-n", ns, "link", "set", "lo", "up")
            run("ip", "link", "add", a, "type", "veth", "peer", "name", b)
            run("ip", "link", "set", a, "netns", ns)
            run("ip", "link", "set", b, "netns", sw)
            run("ip", "-n", ns, "link", "set", a, "name", "eth0")
            ip = "%s.%d" % (self.subnet, last)
            run("ip", "-n", ns, "addr", "add", ip + "/24", "dev", "eth0")
            run("ip", "-n", ns, "link", "set", "eth0", "up")
            run("ip", "-n", sw, "link", "set", b, "master", "br0")
            run("ip", "-n", sw, "link", "set", b, "up")
            self.addr[node] = ip

    def enter(self, node):
        """Moves this thread (and the threads it starts) into the node's network namespace."""
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        fd = os.open("/run/netns/" + self.ns(node), os.O_RDONLY)
        if libc.setns(fd, 0x40000000) != 0:
            raise OSError(ctypes.get_errno(), "setns")
        os.close(fd)


def http_get(ip, path, timeout=1.0):
    try:
        c = http.client.HTTPConnection(ip, 8008, timeout=timeout)
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        c.close()
        return r.status, body
    except (OSError, http.client.HTTPException):
        return -1, b""


def http_post(ip, path, body, timeout=30.0):
    try:
        c = http.client.HTTPConnection(ip, 8008, timeout=timeout)
        c.request("POST", path, json.dumps(body), {"Content-Type": "application/json"})
        r = c.getresponse()
        text = r.read()
        c.close()
        return r.status, text
    except (OSError, http.client.HTTPException) as e:
        return -1, str(e).encode()


class Rig:
    def __init__(self, a):
        self.a = a
        self.prefix = "rc" + os.urandom(2).hex()
        rnd = random.Random(os.urandom(8))
        self.net = Net(self.prefix, "10.%d.%d" % (rnd.randint(100, 250), rnd.randint(0, 255)))
        self.base = os.path.join(a.workdir, "regent-chaos-" + self.prefix)
        self.procs = {}  # name -> Popen
        self.faults = []
        self.t0 = None
        self.agent_version = agent_version(a.agent)
        # Patroni before 3.1 shows a streaming replica as "running" in /cluster (with its lag).
        self.legacy_states = self.agent_version is not None and tuple(
            int(x) for x in self.agent_version.split(".")[:2]) < (3, 1)

    # ---- processes -------------------------------------------------------------------------
    def spawn(self, name, node, cmd, env=None):
        logf = open(os.path.join(self.base, name + ".log"), "ab")
        e = dict(os.environ)
        e.update(env or {})
        p = subprocess.Popen(
            ["ip", "netns", "exec", self.net.ns(node)] + cmd,
            stdout=logf, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=e, start_new_session=True,
        )
        self.procs[name] = p
        return p

    def start_store(self, e):
        if self.a.store == "zookeeper":
            self.start_zookeeper(e)
        else:
            self.start_etcd(e)

    def start_zookeeper(self, e):
        """One server of a three-server ZooKeeper ensemble (Debian's zookeeper package)."""
        d = os.path.join(self.base, e)
        os.makedirs(d, exist_ok=True)
        with open(os.path.join(d, "myid"), "w") as f:
            f.write("%d\n" % (STORES.index(e) + 1))
        # tickTime 2 s: sessions of 4-40 s, so a ttl of 5 and one of 30 are both taken as asked.
        cfg = ["tickTime=2000", "initLimit=10", "syncLimit=5", "dataDir=" + d,
               "clientPort=2181", "clientPortAddress=" + self.net.addr[e],
               "admin.enableServer=false", "4lw.commands.whitelist=*"]
        cfg += ["server.%d=%s:2888:3888" % (i + 1, self.net.addr[s]) for i, s in enumerate(STORES)]
        with open(os.path.join(d, "zoo.cfg"), "w") as f:
            f.write("\n".join(cfg) + "\n")
        self.spawn(e, e, ["java", "-Xmx128m", "-cp", ZOOKEEPER_JAR,
                          "org.apache.zookeeper.server.quorum.QuorumPeerMain",
                          os.path.join(d, "zoo.cfg")])

    def start_etcd(self, e):
        ip = self.net.addr[e]
        cluster = ",".join("%s=http://%s:2380" % (s, self.net.addr[s]) for s in STORES)
        self.spawn(e, e, [
            "etcd", "--name", e, "--data-dir", os.path.join(self.base, e),
            "--listen-client-urls", "http://%s:2379" % ip,
            "--advertise-client-urls", "http://%s:2379" % ip,
            "--listen-peer-urls", "http://%s:2380" % ip,
            "--initial-advertise-peer-urls", "http://%s:2380" % ip,
            "--initial-cluster", cluster, "--initial-cluster-state", "new",
            "--initial-cluster-token", self.prefix,
            "--logger", "zap", "--log-outputs", "stderr",
        ], {"ETCD_UNSUPPORTED_ARCH": ""})

    def agent_yaml(self, h):
        a, ip = self.a, self.net.addr[h]
        d = os.path.join(self.base, h)
        # Regent runs as root and starts PostgreSQL as the postgres user; Patroni runs as that
        # user itself and is told where the binaries are.
        agent_section = ("regent:\n  postgres_user: postgres\n" if a.agent == "regent"
                         else "  bin_dir: %s\n" % PG_BIN)
        if a.store == "zookeeper":
            store = "zookeeper:\n  hosts: [%s]" % ", ".join(
                "'%s:2181'" % self.net.addr[s] for s in STORES)
        else:
            store = "etcd3:\n  hosts: %s" % ",".join(
                "%s:2379" % self.net.addr[s] for s in STORES)
        net = self.net.subnet + ".0/24"
        return f"""scope: chaos
name: {h}
restapi:
  listen: {ip}:8008
  connect_address: {ip}:8008
{store}
bootstrap:
  dcs:
    ttl: {a.ttl}
    loop_wait: {a.loop_wait}
    retry_timeout: {a.retry_timeout}
    maximum_lag_on_failover: 1048576
    synchronous_mode: {dict(sync='true', quorum='quorum').get(a.mode, 'false')}
    postgresql:
      use_pg_rewind: true
      use_slots: true
      parameters:
        max_connections: 40
        max_wal_senders: 10
        max_replication_slots: 10
        wal_keep_size: 64MB
        wal_log_hints: 'on'
  initdb:
  - encoding: UTF8
  - data-checksums
postgresql:
  listen: {ip}:5432
  connect_address: {ip}:5432
  data_dir: {d}/data
  pgpass: {d}/pgpass
  authentication:
    superuser:
      username: postgres
      password: {PASSWORD}
    replication:
      username: replicator
      password: rep-secret
  pg_hba:
  - local all all trust
  - host all all {net} scram-sha-256
  - host replication all {net} scram-sha-256
  parameters:
    shared_buffers: 16MB
    unix_socket_directories: {d}/sock
{agent_section}"""

    def start_agent(self, h):
        d = os.path.join(self.base, h)
        if self.a.agent == "patroni":
            # As the PostgreSQL OS user, owning its directory (Patroni writes pgpass and data there).
            run("chown", "-R", "postgres:postgres", d)
            self.spawn("agent-" + h, h, ["setpriv", "--reuid=postgres", "--regid=postgres",
                                         "--init-groups", PATRONI, d + "/regent.yml"],
                       {"HOME": d})
            return
        env = {"REGENT_JAR": self.a.jar}
        if "clock-jump" in self.a.classes:
            # The host's wall clock, as its agent and PostgreSQL see it, is what the file says
            # (an offset, read at most once a second); their monotonic clocks stay true.
            env.update({"LD_PRELOAD": FAKETIME, "FAKETIME_TIMESTAMP_FILE": d + "/faketime",
                        "FAKETIME_CACHE_DURATION": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1",
                        # Without it the JVM's timed waits spin (a core per agent).
                        "FAKETIME_FORCE_MONOTONIC_FIX": "0"})
            if not os.path.exists(d + "/faketime"):
                self.set_clock(h, 0)
        self.spawn("agent-" + h, h, [os.path.join(REPO, "bin", "regent"), d + "/regent.yml"], env)

    def set_clock(self, h, offset_s):
        """Host h's wall clock runs offset_s seconds off from now on (clock-jump)."""
        with open(os.path.join(self.base, h, "faketime"), "w") as f:
            f.write("%+ds\n" % offset_s)

    def dump_threads(self, why):
        """SIGQUIT to every running agent: its JVM prints its threads into the agent's log."""
        for h in HOSTS:
            pid = self.agent_pid(h)
            if pid:
                log("thread dump of agent %s (pid %d) in agent-%s.log: %s" % (h, pid, h, why))
                try:
                    os.kill(pid, signal.SIGQUIT)
                except ProcessLookupError:
                    pass

    def agent_pid(self, h):
        p = self.procs.get("agent-" + h)
        return p.pid if p and p.poll() is None else None

    def postmaster_pid(self, h):
        try:
            return int(open(os.path.join(self.base, h, "data", "postmaster.pid")).readline())
        except (OSError, ValueError):
            return None

    def committed_since(self, wall):
        """Whether the workload recorded an acknowledged commit after `wall` (time.time())."""
        try:
            return os.path.getmtime(os.path.join(self.base, "acks.jsonl")) > wall
        except OSError:
            return False

    def nft(self, h, out_rule, in_rule=None):
        """Drops what the rules match on host h's output and input (table inet chaos)."""
        rules = (
            "table inet chaos {\n"
            " chain o { type filter hook output priority 0; %s; }\n"
            " chain i { type filter hook input priority 0; %s; }\n"
            "}\n" % (out_rule, in_rule or out_rule)
        )
        path = os.path.join(self.base, "nft-%s.rules" % h)
        with open(path, "w") as f:
            f.write(rules)
        run("nft", "-f", path, ns=self.net.ns(h))

    @staticmethod
    def unnft(ns):
        """What removes the rules nft() put on a host: the faults' heal."""
        return lambda: run("nft", "delete", "table", "inet", "chaos", ns=ns, check=False)

    def postgres_pids(self, h):
        """Every PostgreSQL process of host h (postmaster and its children)."""
        out = []
        for pid in netns_pids(self.net.ns(h)):
            try:
                if os.readlink("/proc/%d/exe" % pid) == PG_BIN + "/postgres":
                    out.append(pid)
            except OSError:
                pass
        return out

    # ---- cluster state ---------------------------------------------------------------------
    def leader(self):
        for h in HOSTS:
            if http_get(self.net.addr[h], "/primary", 0.5)[0] == 200:
                return h
        return None

    def healthy(self):
        """One running leader answering 200 on /primary, every other member streaming."""
        for h in HOSTS:
            status, body = http_get(self.net.addr[h], "/cluster", 1.0)
            if status != 200:
                continue
            try:
                members = json.loads(body).get("members", [])
            except ValueError:
                continue
            leaders = [m for m in members if m.get("role") in ("leader", "primary")
                       and m.get("state") == "running"]
            streaming = [m for m in members if m.get("state") == "streaming"
                         or (self.legacy_states and m.get("state") == "running"
                             and m.get("role") not in ("leader", "primary", "standby_leader")
                             and isinstance(m.get("lag"), int))]
            if len(leaders) != 1 or len(streaming) != len(HOSTS) - 1:
                return False
            # A leader whose PostgreSQL is still read-only (promotion under way) is not healthy.
            return http_get(leaders[0].get("host", ""), "/primary", 1.0)[0] == 200
        return False

    def wait(self, cond, timeout, what):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if cond():
                return True
            time.sleep(0.5)
        log("gave up waiting for %s after %d s" % (what, timeout))
        return False

    # ---- faults ----------------------------------------------------------------------------
    def fault(self, cls, rng):
        """Injects one fault of class `cls`; returns (target, params, heal)."""
        leader = self.leader()
        pick = leader if (leader and rng.random() < 0.5) else rng.choice(HOSTS)
        hold = rng.uniform(2, 3 * self.a.ttl)
        if cls == "kill9-leader-host":
            target = leader or rng.choice(HOSTS)
            kill_all_in(self.net.ns(target))
            return target, {"down_s": round(hold, 2)}, lambda: self.start_agent(target)
        if cls in ("kill9-agent", "sigstop-agent") and not self.agent_pid(pick):
            return pick, {"skipped": "no agent running"}, lambda: None
        if cls == "kill9-agent":
            os.kill(self.agent_pid(pick), signal.SIGKILL)
            return pick, {"down_s": round(hold, 2)}, lambda: self.start_agent(pick)
        if cls == "kill9-postmaster":
            pid = self.postmaster_pid(pick)
            if pid:
                os.kill(pid, signal.SIGKILL)
            return pick, {"hold_s": round(hold, 2)}, lambda: None
        if cls == "sigstop-agent":
            pid = self.agent_pid(pick)
            os.kill(pid, signal.SIGSTOP)
            return pick, {"hold_s": round(hold, 2)}, lambda: os.kill(pid, signal.SIGCONT)
        if cls == "store-partition":
            ns = self.net.ns(pick)
            ips = ", ".join(self.net.addr[s] for s in STORES)
            self.nft(pick, "ip daddr { %s } drop" % ips, "ip saddr { %s } drop" % ips)
            return pick, {"hold_s": round(hold, 2)}, self.unnft(ns)
        if cls == "store-partition-oneway":
            ns = self.net.ns(pick)
            ips = ", ".join(self.net.addr[s] for s in STORES)
            way = rng.choice(["out", "in"])
            # "out": the member's requests are lost; "in": they arrive but no answer comes back.
            self.nft(pick, "ip daddr { %s } drop" % ips if way == "out" else "accept",
                     "ip saddr { %s } drop" % ips if way == "in" else "accept")
            return pick, {"hold_s": round(hold, 2), "way": way}, self.unnft(ns)
        if cls == "member-partition":
            ns = self.net.ns(pick)
            ips = ", ".join(self.net.addr[h] for h in HOSTS if h != pick)
            # Cut from the other members only: the store and the clients still reach it.
            self.nft(pick, "ip daddr { %s } drop" % ips, "ip saddr { %s } drop" % ips)
            return pick, {"hold_s": round(hold, 2)}, self.unnft(ns)
        if cls == "isolate-host":
            ns = self.net.ns(pick)
            run("ip", "-n", ns, "link", "set", "eth0", "down")
            return pick, {"hold_s": round(hold, 2)}, lambda: run(
                "ip", "-n", ns, "link", "set", "eth0", "up")
        if cls == "lossy-link":
            ns = self.net.ns(pick)
            loss = rng.randint(5, 30)
            if self.has_netem:
                delay, jitter = rng.randint(20, 400), rng.randint(0, 100)
                run("tc", "qdisc", "add", "dev", "eth0", "root", "netem", "delay", "%dms" % delay,
                    "%dms" % jitter, "loss", "%d%%" % loss, ns=ns)
                params = {"via": "netem", "delay_ms": delay, "jitter_ms": jitter}
            else:
                # A kernel without netem: random loss by nft both ways, and a slow queue (tbf) whose
                # backlog delays packets up to its latency bound.
                rate = rng.choice([64, 128, 256, 512])
                run("tc", "qdisc", "add", "dev", "eth0", "root", "tbf", "rate", "%dkbit" % rate,
                    "burst", "4kb", "latency", "400ms", ns=ns)
                self.nft(pick, "meta l4proto tcp numgen random mod 100 < %d drop" % loss)
                params = {"via": "nft+tbf", "rate_kbit": rate}
            params.update({"hold_s": round(hold, 2), "loss_pct": loss})

            def heal():
                run("tc", "qdisc", "del", "dev", "eth0", "root", ns=ns, check=False)
                run("nft", "delete", "table", "inet", "chaos", ns=ns, check=False, quiet=True)
            return pick, params, heal
        if cls == "sigstop-postgres":
            pids = self.postgres_pids(pick)
            for pid in pids:
                os.kill(pid, signal.SIGSTOP)

            def cont():
                for pid in pids:
                    try:
                        os.kill(pid, signal.SIGCONT)
                    except ProcessLookupError:
                        pass
            return pick, {"hold_s": round(hold, 2), "processes": len(pids)}, cont
        if cls == "store-member-loss":
            s = rng.choice(STORES)
            kill_all_in(self.net.ns(s))
            return s, {"down_s": round(hold, 2)}, lambda: self.start_store(s)
        if cls in ("switchover", "switchover-kill9-agent"):
            # A planned switchover under the workload; with -kill9-agent, the leader's or a
            # replica's agent is killed 0-1.5 s into it (restarted after the hold): an agent
            # restart in the middle of the operation.
            if not leader:
                return "none", {"skipped": "no leader"}, lambda: None
            params = {}
            victim, killer = None, None
            if cls == "switchover-kill9-agent":
                victim = rng.choice(HOSTS)
                delay, down = rng.uniform(0, 1.5), rng.uniform(2, self.a.ttl * 2)
                params.update({"killed": victim, "after_s": round(delay, 2),
                               "restarted_after_s": round(down, 2)})

                def kill():
                    # The agent is started again `down` after the kill, however long the request
                    # takes to answer.
                    time.sleep(delay)
                    pid = self.agent_pid(victim)
                    if pid:
                        os.kill(pid, signal.SIGKILL)
                        time.sleep(down)
                        self.start_agent(victim)
                killer = threading.Thread(target=kill, daemon=True)
                killer.start()
            status, body = http_post(self.net.addr[leader], "/switchover", {"leader": leader})
            params.update({"status": status, "answer": body.decode(errors="replace")[:120]})

            def heal():
                if killer:
                    killer.join()
                if victim and not self.agent_pid(victim):
                    self.start_agent(victim)
            return leader, params, heal
        if cls == "slow-postgres":
            # A slow disk, as the processes see it: every PostgreSQL process of the member is
            # stopped for 50-400 ms in every 100-400 ms of running, for the hold.
            stop_ms, run_ms = rng.randint(50, 400), rng.randint(100, 400)
            done = threading.Event()

            def stall():
                while not done.is_set():
                    pids = self.postgres_pids(pick)
                    for sig, ms in ((signal.SIGSTOP, stop_ms), (signal.SIGCONT, run_ms)):
                        for pid in pids:
                            try:
                                os.kill(pid, sig)
                            except ProcessLookupError:
                                pass
                        time.sleep(ms / 1000.0)
            t = threading.Thread(target=stall, daemon=True)
            t.start()

            def heal():
                done.set()
                t.join()
                for pid in self.postgres_pids(pick):
                    try:
                        os.kill(pid, signal.SIGCONT)
                    except ProcessLookupError:
                        pass
            return pick, {"hold_s": round(hold, 2), "stop_ms": stop_ms, "run_ms": run_ms}, heal
        if cls == "store-minority":
            # One etcd member cut from the other two: a minority of one that the members may still
            # reach (it cannot serve a quorum read or write), and a majority of two.
            s1 = rng.choice(STORES)
            ns = self.net.ns(s1)
            ips = ", ".join(self.net.addr[s] for s in STORES if s != s1)
            self.nft(s1, "ip daddr { %s } drop" % ips, "ip saddr { %s } drop" % ips)
            return s1, {"hold_s": round(hold, 2)}, self.unnft(ns)
        if cls == "clock-jump":
            # The host's wall clock jumps by up to an hour either way, and back at the heal.
            offset = rng.choice([-1, 1]) * rng.randint(1, 3600)
            self.set_clock(pick, offset)
            return pick, {"hold_s": round(hold, 2), "offset_s": offset}, lambda: self.set_clock(
                pick, 0)
        if cls == "store-outage":
            for s in STORES:
                kill_all_in(self.net.ns(s))

            def heal():
                for s in STORES:
                    self.start_store(s)
            return "store", {"hold_s": round(hold, 2)}, heal
        raise ValueError("unknown fault class " + cls)

    # ---- one run ---------------------------------------------------------------------------
    def setup(self):
        os.makedirs(OWNERS, exist_ok=True)
        with open(os.path.join(OWNERS, self.prefix), "w") as f:
            json.dump({"pid": os.getpid(), "base": self.base}, f)
        os.makedirs(self.base)
        os.chmod(self.base, 0o755)
        nodes = [("cl", 5)] + [(h, 11 + i) for i, h in enumerate(HOSTS)] + [
            (s, 21 + i) for i, s in enumerate(STORES)]
        self.net.create(nodes)
        log("run %s: namespaces %s-*, subnet %s.0/24, files in %s"
            % (self.prefix, self.prefix, self.net.subnet, self.base))
        sw = self.net.ns("sw")
        self.has_netem = run("tc", "qdisc", "add", "dev", "br0", "root", "netem", "delay", "1ms",
                             ns=sw, check=False, quiet=True).returncode == 0
        run("tc", "qdisc", "del", "dev", "br0", "root", ns=sw, check=False, quiet=True)
        self.net.enter("cl")
        for s in STORES:
            self.start_store(s)
        for h in HOSTS:
            d = os.path.join(self.base, h)
            os.makedirs(d)
            os.chmod(d, 0o755)
            with open(d + "/regent.yml", "w") as f:
                f.write(self.agent_yaml(h))
            self.start_agent(h)
        if not self.wait(self.healthy, self.a.start_timeout, "a healthy cluster"):
            raise RuntimeError("the cluster did not come up; logs in " + self.base)

    def campaign(self):
        a = self.a
        rng = random.Random(a.seed)
        meta = {
            "seed": a.seed, "mode": a.mode, "store": a.store, "agent": a.agent,
            "agent_version": self.agent_version, "classes": a.classes,
            "ttl": a.ttl, "loop_wait": a.loop_wait,
            "retry_timeout": a.retry_timeout, "hosts": {h: self.net.addr[h] for h in HOSTS},
            "prefix": self.prefix, "wall_start": datetime.datetime.utcnow().isoformat() + "Z",
        }
        self.spawn("workload", "cl", [
            sys.executable, os.path.join(HERE, "workload.py"),
            "--hosts", ",".join(self.net.addr[h] for h in HOSTS), "--password", PASSWORD,
            "--clients", str(a.clients), "--out", self.base])
        self.wait(lambda: os.path.exists(os.path.join(self.base, "workload.started")), 30,
                  "the workload")
        time.sleep(3)
        faults_log = open(os.path.join(self.base, "faults.jsonl"), "a", buffering=1)
        healed_wall = time.time()
        for n in range(a.faults):
            healthy = self.wait(self.healthy, a.heal_timeout, "a healthy cluster")
            if not healthy:
                self.dump_threads("not healthy again before fault %d" % (n + 1))
            self.wait(lambda: self.committed_since(healed_wall), a.heal_timeout, "commits")
            time.sleep(rng.uniform(2, 4))
            cls = rng.choice(a.classes)
            before = self.leader()
            t_inject = time.monotonic()
            # Targets and durations from a stream of their own: the schedule of classes depends on
            # the seed alone, whatever the cluster looked like.
            target, params, heal = self.fault(cls, random.Random("%d-%d" % (a.seed, n)))
            log("fault %d/%d: %s on %s %s" % (n + 1, a.faults, cls, target, params))
            time.sleep(params.get("down_s", params.get("hold_s", 0)))
            t_heal = time.monotonic()
            healed_wall = time.time()
            heal()
            rec = {"n": n, "class": cls, "target": target, "leader_before": before,
                   "healthy_before": healthy, "t_inject": t_inject, "t_heal": t_heal,
                   "params": params}
            faults_log.write(json.dumps(rec) + "\n")
        healed = self.wait(self.healthy, a.heal_timeout, "a healthy cluster after the last heal")
        if not healed:
            self.dump_threads("not healthy again after the last heal")
        self.wait(lambda: self.committed_since(healed_wall), a.heal_timeout, "commits")
        time.sleep(3)
        meta["healed_at_end"] = healed
        meta["t_end"] = time.monotonic()
        wl = self.procs["workload"]
        wl.send_signal(signal.SIGTERM)
        try:
            wl.wait(180)
        except subprocess.TimeoutExpired:
            log("the workload did not finish its final read")
        with open(os.path.join(self.base, "meta.json"), "w") as f:
            json.dump(meta, f)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--faults", type=int, default=5)
    ap.add_argument("--mode", choices=["async", "sync", "quorum"], default="async")
    ap.add_argument("--agent", choices=["regent", "patroni"], default="regent",
                    help="what runs beside each PostgreSQL: Regent, or Patroni for the comparison")
    ap.add_argument("--store", choices=["etcd", "zookeeper"], default="etcd",
                    help="the store the members share: a three-member etcd cluster or ZooKeeper"
                    " ensemble on hosts e1..e3")
    ap.add_argument("--ttl", type=int, default=5)
    ap.add_argument("--loop-wait", type=int, default=1)
    ap.add_argument("--retry-timeout", type=int, default=2)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--classes", default=",".join(FAULT_CLASSES[:5]),
                    help="comma-separated, from: " + ", ".join(FAULT_CLASSES))
    ap.add_argument("--results", default=os.path.join(REPO, "chaos", "results", "results.jsonl"))
    ap.add_argument("--workdir", default=os.environ.get("TMPDIR", "/tmp"))
    ap.add_argument("--keep", action="store_true", help="keep the run's files even when it passes")
    ap.add_argument("--start-timeout", type=int, default=240)
    ap.add_argument("--heal-timeout", type=int, default=90)
    ap.add_argument("--jar", default=None)
    ap.add_argument("--cleanup-stale", action="store_true",
                    help="only tear down runs whose rig process is gone")
    a = ap.parse_args()
    a.classes = [c for c in a.classes.split(",") if c]
    for c in a.classes:
        if c not in FAULT_CLASSES:
            ap.error("unknown fault class %s (known: %s)" % (c, ", ".join(FAULT_CLASSES)))
    why = preflight(a.classes, a.store, a.agent)
    if why:
        print("chaos: " + why, file=sys.stderr)
        return 2
    if a.cleanup_stale:
        cleanup_stale()
        return 0
    cleanup_stale()
    if not a.jar:
        jars = [os.path.join(REPO, "agent-app", "target", f)
                for f in sorted(os.listdir(os.path.join(REPO, "agent-app", "target")))
                if f.startswith("agent-app-") and f.endswith(".jar")
                and not f.endswith(("-sources.jar", "-tests.jar", "-javadoc.jar"))] \
            if os.path.isdir(os.path.join(REPO, "agent-app", "target")) else []
        if not jars:
            print("chaos: no agent jar; build it: ./mvnw -q -DskipTests package -pl agent-app -am",
                  file=sys.stderr)
            return 2
        a.jar = jars[0]

    def on_signal(signum, _frame):
        raise KeyboardInterrupt("signal %d" % signum)

    for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(s, on_signal)
    rig = Rig(a)
    verdict = None
    try:
        rig.setup()
        rig.campaign()
        r = subprocess.run([sys.executable, os.path.join(HERE, "check.py"), rig.base,
                            "--results", a.results], text=True)
        verdict = r.returncode
    except KeyboardInterrupt as e:
        log("stopped (%s)" % e)
        verdict = 130
    except Exception as e:  # noqa: BLE001 - any failure still tears down
        log("failed: %s" % e)
        verdict = 3
    finally:
        for s in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(s, signal.SIG_IGN)
        teardown(rig.prefix, rig.base)
        if verdict == 0 and not a.keep:
            shutil.rmtree(rig.base, ignore_errors=True)
        else:
            for h in HOSTS:  # the logs and records stay; the data directories go
                shutil.rmtree(os.path.join(rig.base, h, "data"), ignore_errors=True)
            log("run files kept in %s" % rig.base)
    return verdict


if __name__ == "__main__":
    sys.exit(main())
