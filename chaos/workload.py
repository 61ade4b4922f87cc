"""The workload and the probe, run inside the rig's client namespace.

Writers commit numbered rows through the multi-host URL (target_session_attrs=read-write) and
record each acknowledged commit with its send and acknowledgement times (CLOCK_MONOTONIC, shared
by every namespace of the machine). The probe asks every host, every 100 ms, whether PostgreSQL is
writable (pg_is_in_recovery) and what /primary answers. SIGTERM stops both; then the rows of the
final primary are written to final.json.
"""

import argparse
import http.client
import json
import os
import signal
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pgwire import Conn, PgError, PgTimeout  # noqa: E402

stop = threading.Event()


def conninfo(hosts, password, extra=""):
    return (
        "host=%s port=5432 dbname=postgres user=postgres password=%s connect_timeout=2 "
        "application_name=chaos %s" % (",".join(hosts), password, extra)
    )


class Log:
    def __init__(self, path):
        self._f = open(path, "a", buffering=1)
        self._lock = threading.Lock()

    def write(self, obj):
        line = json.dumps(obj, separators=(",", ":"))
        with self._lock:
            self._f.write(line + "\n")


def writer(client, hosts, password, acks, errors, pause):
    url = conninfo(hosts, password, "target_session_attrs=read-write")
    seq, conn = 0, None
    while not stop.is_set():
        if conn is None:
            try:
                conn = Conn(url)
                conn.query(
                    "CREATE TABLE IF NOT EXISTS chaos (client int, seq bigint, "
                    "t double precision, PRIMARY KEY (client, seq))",
                    5,
                )
            except PgError as e:
                if conn:
                    conn.close()
                conn = None
                errors.write({"c": client, "t": time.monotonic(), "e": str(e)[:200]})
                stop.wait(0.2)
                continue
        seq += 1
        sent = time.monotonic()
        try:
            rows = conn.query(
                "INSERT INTO chaos VALUES (%d, %d, %f) RETURNING host(inet_server_addr())"
                % (client, seq, sent),
                10,
            )
            acks.write({"c": client, "s": seq, "ts": sent, "t": time.monotonic(), "h": rows[0][0]})
        except PgError as e:
            # Unknown outcome (timeout or broken link) or refused: not acknowledged either way.
            errors.write(
                {"c": client, "s": seq, "t": time.monotonic(), "e": str(e)[:200],
                 "timeout": isinstance(e, PgTimeout)}
            )
            conn.close()
            conn = None
        stop.wait(pause)
    if conn:
        conn.close()


def probe_host(host, password, api_port, out, period):
    url = conninfo([host], password)
    conn = None
    next_at = time.monotonic()
    while not stop.is_set():
        writable = None
        try:
            if conn is None:
                conn = Conn(url)
            # Timed after the connection is made, so the sample's interval stays short.
            sent = time.monotonic()
            writable = conn.query("SELECT pg_is_in_recovery()", 0.5)[0][0] == "f"
        except PgError:
            sent = time.monotonic()
            if conn:
                conn.close()
            conn = None
        answered = time.monotonic()
        status = -1
        try:
            h = http.client.HTTPConnection(host, api_port, timeout=0.5)
            h.request("GET", "/primary")
            status = h.getresponse().status
            h.close()
        except (OSError, http.client.HTTPException):
            pass
        out.write({"h": host, "ts": sent, "tr": answered, "w": writable, "p": status,
                   "tp": time.monotonic()})
        next_at = max(next_at + period, time.monotonic())
        stop.wait(next_at - time.monotonic())
    if conn:
        conn.close()


def final_rows(hosts, password, deadline):
    url = conninfo(hosts, password, "target_session_attrs=read-write")
    last = None
    while time.monotonic() < deadline:
        try:
            conn = Conn(url)
            try:
                host = conn.query("SELECT host(inet_server_addr())", 5)[0][0]
                rows = conn.query("SELECT client, seq FROM chaos", 30)
                return {"host": host, "rows": [[int(c), int(s)] for c, s in rows]}
            finally:
                conn.close()
        except PgError as e:
            last = str(e)
            time.sleep(1)
    return {"host": None, "rows": [], "error": last}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--hosts", required=True)
    ap.add_argument("--password", required=True)
    ap.add_argument("--clients", type=int, default=3)
    ap.add_argument("--pause", type=float, default=0.05)
    ap.add_argument("--api-port", type=int, default=8008)
    ap.add_argument("--out", required=True)
    a = ap.parse_args()
    hosts = a.hosts.split(",")
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    acks = Log(os.path.join(a.out, "acks.jsonl"))
    errors = Log(os.path.join(a.out, "errors.jsonl"))
    probe = Log(os.path.join(a.out, "probe.jsonl"))
    threads = [
        threading.Thread(target=probe_host, args=(h, a.password, a.api_port, probe, 0.1))
        for h in hosts
    ] + [
        threading.Thread(target=writer, args=(i, hosts, a.password, acks, errors, a.pause))
        for i in range(1, a.clients + 1)
    ]
    for t in threads:
        t.start()
    with open(os.path.join(a.out, "workload.started"), "w") as f:
        f.write(str(time.monotonic()))
    while not stop.is_set():
        stop.wait(1)
    for t in threads:
        t.join()
    final = final_rows(hosts, a.password, time.monotonic() + 120)
    with open(os.path.join(a.out, "final.json.tmp"), "w") as f:
        json.dump(final, f)
    os.rename(os.path.join(a.out, "final.json.tmp"), os.path.join(a.out, "final.json"))


if __name__ == "__main__":
    main()
