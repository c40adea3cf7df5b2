"""Resident memory of `serve` after 1,000,000 alerts, and the store's size on disk.

    python bench/memory.py [--alerts 1000000] [--per-request 100] [--concurrency 8] [--workers 1]

Posts Alertmanager v4 bodies (each alert a new fingerprint) to a fresh `serve`, then prints
one JSON line: alerts ingested, seconds, serve's VmRSS and VmHWM (peak) in MB, and the size
of the SQLite store (database + WAL) in MB. With `--workers N`, the memory figures are the
sums over the supervisor and its workers, and `per_process_rss_mb` lists each.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent))
from ingest import children, cli, free_port, serve_command, start


def am_body(prefix: str, count: int) -> bytes:
    alerts = [
        {
            "status": "firing",
            "labels": {"alertname": "DiskFull", "instance": f"{prefix}-{i}", "severity": "warning"},
            "annotations": {"summary": "Disk almost full", "description": "free space below 5%"},
            "startsAt": "2026-11-29T10:00:00Z",
            "endsAt": "0001-01-01T00:00:00Z",
            "generatorURL": "http://prom:9090/graph?g0.expr=up",
            "fingerprint": f"{prefix}-{i}",
        }
        for i in range(count)
    ]
    return json.dumps(
        {
            "version": "4",
            "groupKey": "{}:{alertname=DiskFull}",
            "status": "firing",
            "receiver": "console",
            "groupLabels": {},
            "commonLabels": {},
            "commonAnnotations": {},
            "externalURL": "http://am:9093",
            "alerts": alerts,
        }
    ).encode()


async def drive(url: str, token: str, total: int, per_request: int, concurrency: int) -> int:
    requests = total // per_request
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)
    ingested = 0
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    async def worker(session: aiohttp.ClientSession) -> None:
        nonlocal ingested
        while not queue.empty():
            n = queue.get_nowait()
            while True:
                async with session.post(
                    url, data=am_body(f"m{n}", per_request), headers=headers
                ) as response:
                    await response.read()
                    if response.status == 200:
                        ingested += per_request
                        break
                    if response.status != 503:
                        raise SystemExit(f"unexpected {response.status}")
                    await asyncio.sleep(0.05)

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(concurrency)))
    return ingested


def proc_status(pid: int) -> dict[str, float]:
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = round(int(rest.split()[0]) / 1024, 1)
    return values


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--alerts", type=int, default=1_000_000)
    parser.add_argument("--per-request", type=int, default=100)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=1, help="serve --workers")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="memory-bench-"))
    db = str(workdir / "store.db")
    try:
        added = json.loads(cli(db, "integrations", "add", "--name", "bench", "--json"))
        port = free_port()
        server = start(serve_command(port, db, args.workers))
        try:
            started = time.monotonic()
            ingested = asyncio.run(
                drive(
                    f"http://127.0.0.1:{port}{added['url']}",
                    added["token"],
                    args.alerts,
                    args.per_request,
                    args.concurrency,
                )
            )
            seconds = time.monotonic() - started
            each = [proc_status(pid) for pid in [server.pid, *children(server.pid)]]
        finally:
            server.terminate()
            server.wait(60)
        size = sum(p.stat().st_size for p in workdir.glob("store.db*")) / 2**20
        print(
            json.dumps(
                {
                    "alerts": ingested,
                    "seconds": round(seconds, 1),
                    "alerts_per_s": round(ingested / seconds, 1),
                    "workers": args.workers,
                    "serve_rss_mb": round(sum(m.get("VmRSS", 0.0) for m in each), 1),
                    "serve_peak_rss_mb": round(sum(m.get("VmHWM", 0.0) for m in each), 1),
                    "per_process_rss_mb": [m.get("VmRSS") for m in each],
                    "store_mb": round(size, 1),
                }
            ),
            flush=True,
        )
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
