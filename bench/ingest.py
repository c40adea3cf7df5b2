"""Ingest benchmark: `serve` against a bare aiohttp JSON echo server, in the same run.

    python bench/ingest.py [--seconds 10] [--connections 64] [--cases a,b,c] [--workers 2]
                           [--repeat 3]

For each case it starts a fresh store and `serve`, then drives it with wrk (Debian package
`wrk`, a C load generator, with a Lua script) at 64 connections, and drives the echo server
the same way with the same bodies for the baseline. One JSON line per case:
`case, alerts_per_s, p50_ms, p99_ms, errors, baseline_req_per_s, ratio` (+ details, and
the profile that says where the CPU went and what serve waited for: bench/cpu_profile.py).
Every 2xx from `serve` is durable: the run checks the store holds what was acknowledged.
`serve` runs with `--workers 2` (one process per core here; `--workers 1` for one process);
the echo server is the one-process aiohttp baseline the targets are stated against.

Cases: (a) a new fingerprint per request with create_incident on; (b) the same fingerprint
every time (dedup path); (c) Alertmanager v4 bodies of 10 alerts each (counted in alerts).

The targets are medians: with `--repeat N` each case runs N times (a fresh store, `serve`
and echo server each time, so every ratio compares one run with its own baseline), and its
line gives the median of each figure, with every run's figures under `runs`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
import cpu_profile  # noqa: E402  (a sibling module, importable once HERE is on the path)

LUA = r"""
local counter = 0
local threads = {}
function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end
local headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer TOKEN"}
local function generic(fp)
  return '{"title":"Disk almost full","severity":"high","service":"orders",' ..
    '"monitoring_tool":"bench","hosts":["web-1","web-2"],' ..
    '"description":"free space below 5 percent","start_time":"2026-11-29T10:00:00Z",' ..
    '"fingerprint":"' .. fp .. '"}'
end
local function am_alert(fp)
  return '{"status":"firing","labels":{"alertname":"DiskFull","instance":"' .. fp ..
    '","severity":"warning","service":"orders"},"annotations":{"summary":"Disk almost full",' ..
    '"description":"free space below 5 percent"},"startsAt":"2026-11-29T10:00:00Z",' ..
    '"endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://prom:9090/graph?g0.expr=up",' ..
    '"fingerprint":"' .. fp .. '"}'
end
local function am(prefix)
  local items = {}
  for i = 0, 9 do items[#items + 1] = am_alert(prefix .. "-" .. i) end
  return '{"version":"4","groupKey":"{}:{alertname=DiskFull}","status":"firing",' ..
    '"receiver":"console","groupLabels":{"alertname":"DiskFull"},"commonLabels":{},' ..
    '"commonAnnotations":{},"externalURL":"http://am:9093","truncatedAlerts":0,' ..
    '"alerts":[' .. table.concat(items, ",") .. ']}'
end
request = function()
  counter = counter + 1
  local body
  if CASE == "a" then body = generic("fp-" .. RUN .. "-" .. id .. "-" .. counter)
  elseif CASE == "b" then body = generic("always-the-same")
  else body = am("am-" .. RUN .. "-" .. id .. "-" .. counter) end
  return wrk.format("POST", "PATH", headers, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '{"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"socket_errors":%d,"non2xx":%d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect + e.read + e.write + e.timeout, e.status))
end
"""

ALERTS_PER_REQUEST = {"a": 1, "b": 1, "c": 10}
# The targets: (a) and (b) at half the echo server's requests/s, (c) 20,000 alerts/s.
TARGET_RATIO = 0.5
TARGET_ALERTS_PER_S = 20_000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(db: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "console", *args, "--db", db],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return done.stdout


def serve_command(port: int, db: str, workers: int) -> list[str]:
    """`serve` on `port` and store `db`, with `workers` listener processes."""
    return [
        sys.executable,
        "-m",
        "console",
        "serve",
        "--port",
        str(port),
        "--workers",
        str(workers),
        "--db",
        db,
    ]


def start(argv: list[str]) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=ROOT
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if "listening on" not in line.lower():
        proc.kill()
        raise SystemExit(
            f"server did not start: {line!r} {proc.stderr.read() if proc.stderr else ''}"
        )
    port = int(line.strip().rsplit(":", 1)[1])
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:  # the echo server prints before it binds
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            time.sleep(0.05)
    raise SystemExit("server never accepted a connection")


def wrk(url: str, case: str, token: str, path: str, seconds: int, connections: int) -> dict:
    # A fresh prefix per run keeps fingerprints of a measured run apart from its warm-up.
    script = f'CASE = "{case}"\nRUN = "{time.monotonic_ns()}"\n' + LUA.replace(
        "TOKEN", token
    ).replace("PATH", path)
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        done = subprocess.run(
            [
                "wrk",
                "-t2",
                f"-c{connections}",
                f"-d{seconds}s",
                "--timeout",
                "10s",
                "-s",
                handle.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=True,
        )
    finally:
        os.unlink(handle.name)
    match = re.search(r"^\{.*\}$", done.stdout, re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk printed no summary:\n{done.stdout}\n{done.stderr}")
    return json.loads(match.group(0))


def children(pid: int) -> list[int]:
    """The processes `pid` started (serve's workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text() if entry.name.isdigit() else ""
        except OSError:
            continue
        if stat and int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def run_case(case: str, seconds: int, connections: int, warmup: int, workers: int) -> dict:
    workdir = Path(tempfile.mkdtemp(prefix="ingest-bench-"))
    db = str(workdir / "store.db")
    try:
        added = json.loads(cli(db, "integrations", "add", "--name", "bench", "--json"))
        if case == "a":
            cli(db, "settings", "set", "create_incident", "true")
        port = free_port()
        server = start(serve_command(port, db, workers))
        base = f"http://127.0.0.1:{port}"
        try:
            if warmup:
                wrk(base, case, added["token"], added["url"], warmup, connections)
            before = alerts_in(db)
            metrics_before = cpu_profile.scrape(base)
            processes = [server.pid, *children(server.pid)]
            cpu_before = cpu_profile.sample(processes)
            result = wrk(base, case, added["token"], added["url"], seconds, connections)
            cpu_after = cpu_profile.sample(processes)
            memory = sum(rss_mb(pid) for pid in processes)
            metrics_after = cpu_profile.scrape(base)
        finally:
            server.terminate()
            server.wait(30)
        stored = alerts_in(db)
        echo_port = free_port()
        echo = start([sys.executable, str(HERE / "echo_server.py"), str(echo_port)])
        try:
            if warmup:
                wrk(f"http://127.0.0.1:{echo_port}", case, "x", "/echo", warmup, connections)
            echo_before = cpu_profile.sample([echo.pid])
            baseline = wrk(
                f"http://127.0.0.1:{echo_port}", case, "x", "/echo", seconds, connections
            )
            echo_after = cpu_profile.sample([echo.pid])
        finally:
            echo.kill()  # the baseline has nothing to flush
            echo.wait(10)
    finally:
        integrity = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
        shutil.rmtree(workdir, ignore_errors=True)
    duration = result["duration_us"] / 1e6
    ok_requests = result["requests"] - result["non2xx"]
    req_per_s = result["requests"] / duration
    baseline_rps = baseline["requests"] / (baseline["duration_us"] / 1e6)
    per_request = ALERTS_PER_REQUEST[case]
    serve_cpu = cpu_profile.usage(cpu_before, cpu_after, result["requests"], "serve")
    echo_cpu = cpu_profile.usage(echo_before, echo_after, baseline["requests"], "baseline")
    # What a request may cost for the case to meet its target, if serve used the cores it
    # left idle as well as those it used (wrk's share is not serve's to take).
    target_rps = TARGET_ALERTS_PER_S / per_request if case == "c" else TARGET_RATIO * baseline_rps
    budget = (serve_cpu["serve_cores_busy"] + serve_cpu["serve_idle_cores"]) / target_rps
    return {
        "case": case,
        "workers": workers,
        "alerts_per_s": round(ok_requests * per_request / duration, 1),
        "requests_per_s": round(req_per_s, 1),
        "p50_ms": round(result["p50_us"] / 1000, 2),
        "p99_ms": round(result["p99_us"] / 1000, 2),
        "errors": result["non2xx"] + result["socket_errors"],
        "baseline_req_per_s": round(baseline_rps, 1),
        "baseline_p99_ms": round(baseline["p99_us"] / 1000, 2),
        "ratio": round(req_per_s / baseline_rps, 3),
        "serve_rss_mb": round(memory, 1),
        "alerts_stored_during_run": stored["alerts"] - before["alerts"],
        "events_stored_during_run": stored["events"] - before["events"],
        "integrity_check": integrity,
        # The profile: CPU per request of serve (all its processes) and of the echo server,
        # the idle cores left, the workers' write lock and WAL syncs, and the budget.
        **serve_cpu,
        **echo_cpu,
        **cpu_profile.writes(metrics_before, metrics_after, duration, workers),
        "cpu_us_per_request_at_target": round(budget * 1e6, 1),
    }


def alerts_in(db: str) -> dict[str, int]:
    conn = sqlite3.connect(db)
    try:
        # One statement, one snapshot: requests wrk left in flight may still be committing.
        alerts, events = conn.execute(
            "SELECT (SELECT count(*) FROM alerts), (SELECT count(*) FROM alert_events)"
        ).fetchone()
        return {"alerts": alerts, "events": events}
    finally:
        conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--cases", default="a,b,c")
    parser.add_argument("--workers", type=int, default=2, help="serve --workers (default 2)")
    parser.add_argument(
        "--repeat", type=int, default=1, help="runs per case; the line gives medians"
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    if args.repeat < 1:
        raise SystemExit("--repeat must be at least 1")
    for case in args.cases.split(","):
        runs = [
            run_case(case.strip(), args.seconds, args.connections, args.warmup, args.workers)
            for _ in range(args.repeat)
        ]
        print(json.dumps(runs[0] if args.repeat == 1 else medians(runs)), flush=True)


# Figures that are counts or checks, not measurements: summed or kept, never a median.
SUMMED = ("errors", "alerts_stored_during_run", "events_stored_during_run")


def medians(runs: list[dict]) -> dict:
    """One line for a case run several times: the median of every measured figure."""
    first = runs[0]
    line: dict = {"case": first["case"], "workers": first["workers"], "repeat": len(runs)}
    for key, value in first.items():
        if key in line:
            continue
        if key in SUMMED:
            line[key] = sum(run[key] for run in runs)
        elif key == "integrity_check":
            checks = {run[key] for run in runs}
            line[key] = "ok" if checks == {"ok"} else sorted(checks)
        elif isinstance(value, int | float):
            line[key] = round(statistics.median(run[key] for run in runs), 3)
    line["runs"] = [
        {key: run[key] for key in ("alerts_per_s", "p99_ms", "baseline_req_per_s", "ratio")}
        for run in runs
    ]
    return line


if __name__ == "__main__":
    main()
