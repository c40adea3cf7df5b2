"""`GET /metrics` for `serve` workers: one answer that counts every worker's alerts.

The kernel hands each connection to one worker, so a scrape reaches one of them at random.
Each worker therefore publishes its metrics as a small JSON file in the folder the workers
share (at least once a second, and whenever it answers a scrape), and the worker that is
scraped renders the sum of every file. A worker's file only ever grows, so the sums stay
monotonic from scrape to scrape, whichever worker answers; another worker's part is at most
about a second old. A worker started again begins from zero, as any restarted process
does (Prometheus counts that as a counter reset). The same file carries a short health
summary of its worker, so `/healthz` can list every worker (`workers`), whichever answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from console.listener.metrics import ListenerMetrics

log = logging.getLogger(__name__)
PUBLISH_SECONDS = 1.0
PREFIX = "metrics-"
HEALTH_KEY = "_health"  # not a metric name: rendering the metrics passes it by


class SharedMetrics:
    """One worker's metrics, published for the others, and the sum of all of them."""

    def __init__(
        self,
        directory: Path,
        worker: int,
        metrics: ListenerMetrics,
        health: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        self.directory = directory
        self.metrics = metrics
        self.health = health
        self.path = directory / f"{PREFIX}{worker}.json"
        self._task: asyncio.Task[None] | None = None

    def publish(self) -> None:
        """Write this worker's snapshot (replaced whole: a reader never sees half a file)."""
        snapshot = self.metrics.snapshot()
        if self.health is not None:
            snapshot[HEALTH_KEY] = self.health()
        partial = self.path.with_suffix(".partial")
        partial.write_bytes(orjson.dumps(snapshot))
        partial.replace(self.path)

    def snapshots(self) -> list[dict[str, Any]]:
        """Every worker's latest snapshot (this worker's fresh)."""
        self.publish()
        found: list[dict[str, Any]] = []
        for path in sorted(self.directory.glob(f"{PREFIX}*.json")):
            try:
                found.append(orjson.loads(path.read_bytes()))
            except (OSError, orjson.JSONDecodeError) as exc:  # a worker gone meanwhile
                log.debug("skipping %s: %s", path, exc)
        return found

    def render(self) -> str:
        return self.metrics.render(self.snapshots())

    def workers_health(self) -> list[dict[str, Any]]:
        """Every worker's health summary as last published (this worker's fresh)."""
        found = [snap[HEALTH_KEY] for snap in self.snapshots() if HEALTH_KEY in snap]
        return sorted(found, key=lambda health: int(health.get("worker", 0)))

    def start(self) -> None:
        """Publish now (the others list this worker from its first moment), then every
        second."""
        self.publish()
        self._task = asyncio.create_task(self._keep_publishing())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        with contextlib.suppress(OSError):
            self.publish()  # the final counts stay in the sum

    async def _keep_publishing(self) -> None:
        while True:
            await asyncio.sleep(PUBLISH_SECONDS)
            try:
                self.publish()
            except OSError as exc:  # the folder went away; the next scrape says so
                log.warning("cannot publish metrics: %s", exc)
