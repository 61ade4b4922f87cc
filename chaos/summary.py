#!/usr/bin/env python3
"""Summary of a chaos campaign: the result lines of chaos/run (one per seed), grouped by profile
and mode, printed as the bench/ scripts print theirs.

Usage: chaos/summary.py RESULTS.jsonl [--mode async|sync|quorum] [--profile ttl5/lw1/rt2]
"""

import argparse
import json
import statistics
import sys


def fmt(values):
    if not values:
        return "n/a"
    return "min %.2f  median %.2f  max %.2f  (n=%d)" % (
        min(values), statistics.median(values), max(values), len(values))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("results")
    ap.add_argument("--mode")
    ap.add_argument("--profile")
    a = ap.parse_args()
    groups = {}
    with open(a.results) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if (a.mode and r["mode"] != a.mode) or (a.profile and r["profile"] != a.profile):
                continue
            groups.setdefault((r["profile"], r["mode"]), []).append(r)
    if not groups:
        print("no results in %s" % a.results)
        return 1
    bad = 0
    for (profile, mode), rs in sorted(groups.items()):
        seeds = sorted(r["seed"] for r in rs)
        faults = [f for r in rs for f in r["faults"]]
        violations = [(r["seed"], v) for r in rs for v in r["violations"]]
        bad += len(violations)
        print("== chaos campaign: profile %s, %s mode ==" % (profile, mode))
        print("runs %d (seeds %s..%s), faults injected %d, commits acknowledged %d"
              % (len(rs), seeds[0], seeds[-1], len(faults), sum(r["acknowledged"] for r in rs)))
        print("split brain (two writable primaries at once): %d runs with an overlap, "
              "max overlap %.1f ms, %d beyond the bound"
              % (sum(1 for r in rs if r["max_writable_overlap_ms"] > 0),
                 max(r["max_writable_overlap_ms"] for r in rs),
                 sum(r["overlaps_beyond_bound"] for r in rs)))
        print("acknowledged commits lost: %d%s" % (
            sum(r["lost"] for r in rs), " (must be 0)" if mode in ("sync", "quorum") else " (counted)"))
        rto = [f["rto_s"] for f in faults if f.get("rto_s") is not None]
        rtow = [f["rto_writable_s"] for f in faults if f.get("rto_writable_s") is not None]
        print("RTO, kill -9 of the leader's host, to the first acknowledged commit (s): " + fmt(rto))
        print("RTO, kill -9 of the leader's host, to the first writable host (s):       " + fmt(rtow))
        print("per fault class: longest write gap (s) | time with no writable host (s)")
        for cls in sorted({f["class"] for f in faults}):
            fs = [f for f in faults if f["class"] == cls]
            print("  %-18s %3d  gap %s" % (cls, len(fs), fmt([f["write_gap_s"] for f in fs])))
            print("  %-18s      none writable %s" % ("", fmt([f["no_writable_s"] for f in fs])))
        print("violations: %d" % len(violations))
        for seed, v in violations:
            print("  seed %s: %s" % (seed, v))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
