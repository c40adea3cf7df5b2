"""Where the CPU goes during one measured run: the figures `bench/ingest.py` adds to each line.

Throughput alone cannot say why a case misses its target; these can. For the processes
under test (`serve` and its workers, or the echo server) it reads their user and system CPU
time from /proc before and after the run, and the machine's idle time from /proc/stat, and
gives them per request answered. For `serve` it also reads its own `/metrics` before and
after: how long the workers held the store's write lock and synced its WAL, and how many
alerts each group commit carried. Linux only, like the rest of the benchmark.
"""

from __future__ import annotations

import os
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

TICKS = os.sysconf("SC_CLK_TCK")
# serve workers publish their metrics for each other at least once a second.
PUBLISH_WAIT_SECONDS = 1.2
LOCK_SECONDS = "incident_console_write_lock_held_seconds_total"
SYNC_SECONDS = "incident_console_wal_sync_seconds_total"
BATCH_ALERTS = "incident_console_commit_batch_alerts_sum"
BATCHES = "incident_console_commit_batch_alerts_count"


@dataclass(frozen=True)
class CpuSample:
    """CPU seconds used so far by some processes, and by nobody on the whole machine."""

    at: float
    user: float
    system: float
    idle: float


def sample(pids: list[int]) -> CpuSample:
    """The processes' user and system seconds, and the machine's idle (and I/O wait) seconds."""
    user = system = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:  # a worker restarted meanwhile: its time is lost, not invented
            continue
        user += int(fields[11]) / TICKS  # utime and stime: fields 14 and 15 of stat(5)
        system += int(fields[12]) / TICKS
    totals = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    idle = (int(totals[3]) + int(totals[4])) / TICKS
    return CpuSample(time.monotonic(), user, system, idle)


def usage(before: CpuSample, after: CpuSample, requests: int, prefix: str) -> dict[str, float]:
    """CPU per request answered (µs: in all, user, system) and the cores used and left
    idle, between two samples."""
    wall = after.at - before.at
    answered = max(requests, 1)
    user, system = after.user - before.user, after.system - before.system
    return {
        f"{prefix}_cpu_us_per_request": round((user + system) / answered * 1e6, 1),
        f"{prefix}_user_us_per_request": round(user / answered * 1e6, 1),
        f"{prefix}_system_us_per_request": round(system / answered * 1e6, 1),
        f"{prefix}_cores_busy": round((user + system) / wall, 2),
        f"{prefix}_idle_cores": round((after.idle - before.idle) / wall, 2),
    }


def scrape(base: str) -> dict[str, float]:
    """`serve`'s own metrics, after the workers have published theirs."""
    time.sleep(PUBLISH_WAIT_SECONDS)
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as answer:
        return metric_values(answer.read().decode())


def metric_values(text: str) -> dict[str, float]:
    """The unlabelled series of a Prometheus text exposition, by name."""
    values: dict[str, float] = {}
    for line in text.splitlines():
        name, _, value = line.partition(" ")
        if line and not line.startswith("#") and "{" not in name:
            values[name] = float(value)
    return values


def writes(
    before: dict[str, float], after: dict[str, float], seconds: float, workers: int
) -> dict[str, float]:
    """How the workers wrote during the run: the share of it their write lock was held and
    its time per alert, alerts per commit, and the share of each worker's time its WAL
    syncs took (its requests wait for them)."""

    def grew(name: str) -> float:
        return after.get(name, 0.0) - before.get(name, 0.0)

    held, alerts, batches = grew(LOCK_SECONDS), grew(BATCH_ALERTS), grew(BATCHES)
    return {
        "write_lock_share": round(held / seconds, 3),
        "write_lock_us_per_alert": round(held / alerts * 1e6, 1) if alerts else 0.0,
        "alerts_per_commit": round(alerts / batches, 1) if batches else 0.0,
        "wal_sync_share_per_worker": round(grew(SYNC_SECONDS) / seconds / max(workers, 1), 3),
    }
