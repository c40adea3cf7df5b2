"""The CPU profile `bench/ingest.py` prints: per-request figures from /proc and `/metrics`."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

from console.listener.metrics import ListenerMetrics

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import cpu_profile


def test_serve_metrics_are_read_by_name():
    metrics = ListenerMetrics(
        lambda: 0.0, write_lock_seconds=lambda: 2.5, wal_sync_seconds=lambda: 0.75
    )
    metrics.batch_size.observe(30)
    metrics.batch_size.observe(10)
    metrics.alerts.inc(40, integration="bench", outcome="created")  # labelled: left out

    values = cpu_profile.metric_values(metrics.render())

    assert values[cpu_profile.LOCK_SECONDS] == 2.5
    assert values[cpu_profile.SYNC_SECONDS] == 0.75
    assert values[cpu_profile.BATCH_ALERTS] == 40
    assert values[cpu_profile.BATCHES] == 2
    assert not any(name.startswith("incident_console_alerts_received") for name in values)


def test_lock_share_time_per_alert_batch_size_and_sync_share_over_a_run():
    before = {
        cpu_profile.LOCK_SECONDS: 1.0,
        cpu_profile.SYNC_SECONDS: 0.5,
        cpu_profile.BATCH_ALERTS: 100,
        cpu_profile.BATCHES: 4,
    }
    after = {
        cpu_profile.LOCK_SECONDS: 7.0,
        cpu_profile.SYNC_SECONDS: 2.5,
        cpu_profile.BATCH_ALERTS: 100_100,
        cpu_profile.BATCHES: 4004,
    }

    figures = cpu_profile.writes(before, after, seconds=10.0, workers=2)

    assert figures == {
        "write_lock_share": 0.6,
        "write_lock_us_per_alert": 60.0,
        "alerts_per_commit": 25.0,
        "wal_sync_share_per_worker": 0.1,
    }
    # One process has no lock and no sync of its own, and a run that committed nothing
    # divides by nothing.
    assert cpu_profile.writes({}, {}, seconds=10.0, workers=1) == {
        "write_lock_share": 0.0,
        "write_lock_us_per_alert": 0.0,
        "alerts_per_commit": 0.0,
        "wal_sync_share_per_worker": 0.0,
    }


def test_cpu_per_request_and_cores_between_two_samples():
    before = cpu_profile.CpuSample(at=100.0, user=10.0, system=2.0, idle=50.0)
    after = cpu_profile.CpuSample(at=110.0, user=18.0, system=4.0, idle=52.5)

    figures = cpu_profile.usage(before, after, requests=50_000, prefix="serve")

    assert figures == {
        "serve_cpu_us_per_request": 200.0,
        "serve_user_us_per_request": 160.0,
        "serve_system_us_per_request": 40.0,
        "serve_cores_busy": 1.0,
        "serve_idle_cores": 0.25,
    }


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads Linux's /proc")
def test_a_sample_of_this_process_counts_its_cpu_time():
    first = cpu_profile.sample([os.getpid()])
    sum(i * i for i in range(300_000))  # some CPU time to count
    second = cpu_profile.sample([os.getpid(), 2**22 + 7])  # a process that is gone: skipped

    assert second.user + second.system >= first.user + first.system > 0
    assert second.at > first.at and second.idle >= first.idle
