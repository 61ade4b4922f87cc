"""The checker: reads one run's records and judges them, knowing nothing of the agent's code.

Inputs (in the run directory): meta.json, faults.jsonl (the rig), acks.jsonl, errors.jsonl,
probe.jsonl and final.json (the workload). All times are CLOCK_MONOTONIC seconds.

Violations (exit status 1):
- two writable primaries at once: per host, a run of probe samples answering
  pg_is_in_recovery() = false spans from the first sample's send to the last one's answer (the
  widest interval it may cover); two hosts' runs overlapping is a possible split brain, reported
  with the overlap; an overlap longer than --bound-ms (default 500, the probe's own uncertainty)
  is reported separately as beyond the bound;
- two hosts answering 200 on /primary at once (the same widest-interval rule);
- acknowledged commits missing from the final primary, in synchronous and quorum mode (counted, not a
  violation, in asynchronous mode);
- no final primary, or a cluster not healthy again after a heal;
- no commit acknowledged after a heal before the next fault (or the end of the run).
Figures per fault: the longest write gap, the time with no writable host, the time to the first
commit after the heal, and for kill -9 of the leader's host the RTO (first acknowledged commit,
and first writable host, after the kill).
"""

import argparse
import json
import os
import sys


def load_jsonl(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                line = line.strip()
                if line:
                    try:
                        out.append(json.loads(line))
                    except ValueError:
                        pass  # a last line cut short by a kill
    return out


def runs(samples, key, value):
    """Per host, [start, end] intervals of consecutive samples whose `key` equals `value`."""
    by_host = {}
    for s in sorted(samples, key=lambda s: s["ts"]):
        by_host.setdefault(s["h"], []).append(s)
    out = []
    for h, ss in by_host.items():
        cur = None
        for s in ss:
            end = s["tr"] if key == "w" else s["tp"]
            if s.get(key) == value:
                cur = [h, s["ts"], end] if cur is None else [h, cur[1], end]
            elif cur is not None:
                out.append(tuple(cur))
                cur = None
        if cur is not None:
            out.append(tuple(cur))
    return out


def overlaps(intervals):
    found = []
    iv = sorted(intervals, key=lambda x: x[1])
    for i, (h1, s1, e1) in enumerate(iv):
        for h2, s2, e2 in iv[i + 1:]:
            if s2 >= e1:
                break
            if h1 != h2:
                found.append({"hosts": [h1, h2], "at": round(s2, 3),
                              "overlap_ms": round((min(e1, e2) - s2) * 1000, 1)})
    return found


def no_writable_time(samples, hosts, start, end):
    """Seconds within [start, end] during which no host's latest sample said writable."""
    events = sorted((s["tr"], s["h"], s["w"] is True) for s in samples)
    state = {h: False for h in hosts}
    total, last_t = 0.0, start
    for t, h, w in events:
        if t > end:
            break
        if t > start and not any(state.values()):
            total += t - max(last_t, start)
        last_t = max(t, start)
        state[h] = w
    if not any(state.values()):
        total += end - max(last_t, start)
    return total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("run_dir")
    ap.add_argument("--bound-ms", type=float, default=500)
    ap.add_argument("--results", help="append the verdict as one JSON line to this file")
    a = ap.parse_args()
    d = a.run_dir
    meta = json.load(open(os.path.join(d, "meta.json")))
    faults = load_jsonl(os.path.join(d, "faults.jsonl"))
    acks = sorted(load_jsonl(os.path.join(d, "acks.jsonl")), key=lambda x: x["t"])
    probe = load_jsonl(os.path.join(d, "probe.jsonl"))
    final_path = os.path.join(d, "final.json")
    final = json.load(open(final_path)) if os.path.exists(final_path) else {"host": None, "rows": []}
    hosts = list(meta["hosts"].values())
    name_of = {ip: n for n, ip in meta["hosts"].items()}
    t_end = meta["t_end"]
    violations = []

    writable_overlaps = overlaps(runs(probe, "w", True))
    primary_overlaps = overlaps(runs(probe, "p", 200))
    beyond = [o for o in writable_overlaps if o["overlap_ms"] > a.bound_ms]
    for o in writable_overlaps:
        o["hosts"] = [name_of.get(h, h) for h in o["hosts"]]
        violations.append("two writable primaries at once: %s" % json.dumps(o))
    for o in primary_overlaps:
        o["hosts"] = [name_of.get(h, h) for h in o["hosts"]]
        violations.append("two hosts answered 200 on /primary at once: %s" % json.dumps(o))

    final_rows = {(c, s) for c, s in final.get("rows", [])}
    lost = [(x["c"], x["s"]) for x in acks if (x["c"], x["s"]) not in final_rows]
    if final.get("host") is None:
        violations.append("no primary at the end to read the rows from (%s)" % final.get("error"))
    elif lost and meta["mode"] in ("sync", "quorum"):
        violations.append("%d acknowledged commits missing from the final primary %s: %s"
                          % (len(lost), name_of.get(final["host"]), lost[:10]))
    for prev, f in zip(faults, faults[1:]):
        if f.get("healthy_before") is False:
            violations.append("the cluster was not healthy again after fault %d (%s on %s)"
                              % (prev["n"], prev["class"], prev["target"]))
    if not meta.get("healed_at_end", True):
        violations.append("the cluster was not healthy again after the last heal")

    ack_times = [x["t"] for x in acks]
    per_fault = []
    for i, f in enumerate(faults):
        start = f["t_inject"]
        end = faults[i + 1]["t_inject"] if i + 1 < len(faults) else t_end
        gap, prev = 0.0, None
        for t in ack_times:
            if t > start and prev is not None and prev < end:
                gap = max(gap, min(t, end) - max(prev, start))
            prev = t
            if t > end:
                break
        if prev is not None and prev < end:
            gap = max(gap, end - max(prev, start))
        after_heal = next((t for t in ack_times if t >= f["t_heal"]), None)
        last_before_heal = max((t for t in ack_times if t < f["t_heal"]), default=None)
        recover = 0.0
        if after_heal is not None and (last_before_heal is None
                                       or f["t_heal"] - last_before_heal > 1.0):
            recover = after_heal - f["t_heal"]
        if after_heal is None or after_heal > end:
            violations.append("no commit acknowledged between the heal of fault %d (%s on %s) and "
                              "the next fault or the end" % (f["n"], f["class"], f["target"]))
        rec = {
            "n": f["n"], "class": f["class"], "target": f["target"], "params": f["params"],
            "write_gap_s": round(gap, 2),
            "no_writable_s": round(no_writable_time(probe, hosts, start, end), 2),
            "recover_after_heal_s": round(recover, 2) if after_heal is not None else None,
        }
        if f["class"] == "kill9-leader-host" and f.get("leader_before") == f["target"]:
            killed = meta["hosts"][f["target"]]
            first_ack = next((x["t"] for x in acks if x["t"] > start and x["h"] != killed), None)
            first_w = next((s["tr"] for s in sorted(probe, key=lambda s: s["tr"])
                            if s["tr"] > start and s["w"] is True and s["h"] != killed), None)
            rec["rto_s"] = round(first_ack - start, 2) if first_ack else None
            rec["rto_writable_s"] = round(first_w - start, 2) if first_w else None
        per_fault.append(rec)

    result = {
        "seed": meta["seed"], "mode": meta["mode"],
        # Regent on etcd keeps the profile's first form, so that campaigns recorded before match.
        "profile": ("" if meta.get("agent", "regent") == "regent" else meta["agent"] + "/")
        + ("" if meta.get("store", "etcd") == "etcd" else meta["store"] + "/")
        + "ttl%d/lw%d/rt%d" % (meta["ttl"], meta["loop_wait"], meta["retry_timeout"]),
        "wall_start": meta["wall_start"], "classes": meta.get("classes"), "faults": per_fault,
        "agent_version": meta.get("agent_version"),
        "acknowledged": len(acks), "lost": len(lost),
        "final_primary": name_of.get(final.get("host")),
        "probe_samples": len(probe),
        "max_writable_overlap_ms": max([o["overlap_ms"] for o in writable_overlaps], default=0),
        "overlaps_beyond_bound": len(beyond),
        "violations": violations,
    }
    line = json.dumps(result)
    print(line)
    if a.results:
        os.makedirs(os.path.dirname(os.path.abspath(a.results)), exist_ok=True)
        with open(a.results, "a") as f:
            f.write(line + "\n")
    for v in violations:
        print("VIOLATION " + v, file=sys.stderr)
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
