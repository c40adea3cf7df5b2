"""Writer benchmark: the cost of deciding, writing and committing batches, without HTTP.

    python bench/pipeline.py [--batches 300] [--batch 32]

Parses bodies as the listener does (not timed), prepares their rows as the writer does when
it queues them (`prepare_us_per_alert`, timed apart: serve workers do it outside the store's
write lock), then times `process_batch` plus the COMMIT on a fresh SQLite store, in batches
of `--batch` submissions (the size the listener commits at 64 connections): the work a
worker does while it holds the lock. One JSON line per case: `case`, `us_per_alert`
(decide + write + commit), `decide_and_write_us_per_alert`, `commit_us_per_batch`,
`prepare_us_per_alert`, `alerts`. Steadier than bench/ingest.py: no load generator and no
network, so it shows what a change to the pipeline itself is worth.

Cases: (a) a new fingerprint per submission with create_incident on (an alert, an incident
and an event each; their creation notes are derived, not stored); (b) the same fingerprint
every time (an event and an update); (c) Alertmanager bodies of 10 new alerts each.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from itertools import count
from pathlib import Path

import orjson

from console.admin.settings import set_setting
from console.engine.pipeline import Source, Submission, prepare, process_batch, read_settings
from console.ingest import parse_body
from console.store import open_store

SOURCE = Source(None, "bench")


def generic(fingerprint: str) -> bytes:
    return orjson.dumps(
        {
            "title": "Disk almost full",
            "severity": "high",
            "service": "orders",
            "monitoring_tool": "bench",
            "hosts": ["web-1", "web-2"],
            "description": "free space below 5 percent",
            "start_time": "2026-11-29T10:00:00Z",
            "fingerprint": fingerprint,
        }
    )


def alertmanager(prefix: str) -> bytes:
    return orjson.dumps(
        {
            "version": "4",
            "groupKey": "{}:{alertname=DiskFull}",
            "status": "firing",
            "receiver": "console",
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://am:9093",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {
                        "alertname": "DiskFull",
                        "instance": f"{prefix}-{i}",
                        "severity": "warning",
                    },
                    "annotations": {"summary": "Disk almost full"},
                    "startsAt": "2026-11-29T10:00:00Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prom:9090/graph?g0.expr=up",
                    "fingerprint": f"{prefix}-{i}",
                }
                for i in range(10)
            ],
        }
    )


def run_case(case: str, batches: int, size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory(prefix="pipeline-bench-") as folder:
        store = open_store(f"sqlite:///{Path(folder) / 'store.db'}")
        if case == "a":
            with store.write() as session:
                set_setting(session, "create_incident", "true")
        numbers = count()

        def body() -> bytes:
            n = next(numbers)
            if case == "a":
                return generic(f"fp-{n}")
            if case == "b":
                return generic("always-the-same")
            return alertmanager(f"am-{n}")

        conn = store.write_engine.connect()
        settings = read_settings(conn)
        decided = committed = prepared = 0.0
        alerts = 0
        for number in range(batches + 10):
            submissions = [Submission(SOURCE, parse_body(body())[1]) for _ in range(size)]
            queued = time.perf_counter()
            for submission in submissions:
                prepare(submission)
            began = time.perf_counter()
            transaction = conn.begin()
            process_batch(conn, submissions, settings)
            written = time.perf_counter()
            transaction.commit()
            ended = time.perf_counter()
            if number >= 10:  # the first batches warm the caches
                prepared += began - queued
                decided += written - began
                committed += ended - written
                alerts += sum(len(s.alerts) for s in submissions)
        conn.close()
        store.dispose()
    return {
        "case": case,
        "us_per_alert": round((decided + committed) / alerts * 1e6, 1),
        "decide_and_write_us_per_alert": round(decided / alerts * 1e6, 1),
        "commit_us_per_batch": round(committed / batches * 1e6, 1),
        "prepare_us_per_alert": round(prepared / alerts * 1e6, 1),
        "alerts": alerts,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=300)
    parser.add_argument("--batch", type=int, default=32, help="submissions per batch")
    parser.add_argument("--cases", default="a,b,c")
    args = parser.parse_args()
    for case in args.cases.split(","):
        print(json.dumps(run_case(case, args.batches, args.batch)), flush=True)


if __name__ == "__main__":
    main()
