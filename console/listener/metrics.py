"""The console's own metrics, rendered in Prometheus text format for `GET /metrics`.

Small on purpose: counters and histograms with labels, updated from the event loop and the
writer thread (a lock keeps the two honest), rendered on demand. Each metric can also give
its values as plain data (`snapshot`) and render a sum of several snapshots, which is how
`serve` workers answer for all of them together (console/listener/shared_metrics.py).
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from typing import Any

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
BATCH_BUCKETS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000)

LabelKey = tuple[tuple[str, str], ...]


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(key: LabelKey, extra: str = "") -> str:
    parts = [f'{name}="{_escape(value)}"' for name, value in key]
    if extra:
        parts.append(extra)
    return "{" + ",".join(parts) + "}" if parts else ""


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class Counter:
    """A monotonically increasing count per label set."""

    def __init__(self, name: str, help_text: str) -> None:
        self.name, self.help = name, help_text
        self._values: dict[LabelKey, float] = defaultdict(float)
        self._lock = threading.Lock()

    def inc(self, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            self._values[key] += amount

    def value(self, **labels: str) -> float:
        return self._values.get(tuple(sorted(labels.items())), 0.0)

    def snapshot(self) -> list[list[Any]]:
        """The values as JSON-able data: `[[[name, value], ...], count]` per label set."""
        with self._lock:
            return [[[list(pair) for pair in key], value] for key, value in self._values.items()]

    def render(self, snapshots: Sequence[list[list[Any]]] | None = None) -> list[str]:
        """This counter's lines, or those of the sum of `snapshots`."""
        totals: dict[LabelKey, float] = defaultdict(float)
        for snap in [self.snapshot()] if snapshots is None else snapshots:
            for key, value in snap:
                totals[tuple((str(n), str(v)) for n, v in key)] += float(value)
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        lines += [
            f"{self.name}{_labels(key)} {_number(value)}" for key, value in sorted(totals.items())
        ]
        return lines


class Histogram:
    """Observations counted into fixed buckets, Prometheus style (cumulative on render)."""

    def __init__(self, name: str, help_text: str, buckets: tuple[float, ...]) -> None:
        self.name, self.help, self.buckets = name, help_text, buckets
        self._counts = [0] * (len(buckets) + 1)
        self._sum = 0.0
        self._count = 0
        self._lock = threading.Lock()

    def observe(self, value: float) -> None:
        index = bisect.bisect_left(self.buckets, value)
        with self._lock:
            self._counts[index] += 1
            self._sum += value
            self._count += 1

    @property
    def count(self) -> int:
        return self._count

    def snapshot(self) -> dict[str, Any]:
        """The bucket counts, sum and count as JSON-able data."""
        with self._lock:
            return {"counts": list(self._counts), "sum": self._sum, "count": self._count}

    def render(self, snapshots: Sequence[dict[str, Any]] | None = None) -> list[str]:
        """This histogram's lines, or those of the sum of `snapshots`."""
        counts = [0] * (len(self.buckets) + 1)
        total, count = 0.0, 0
        for snap in [self.snapshot()] if snapshots is None else snapshots:
            counts = [a + int(b) for a, b in zip(counts, snap["counts"], strict=True)]
            total += float(snap["sum"])
            count += int(snap["count"])
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        running = 0
        for bound, bucket_count in zip(self.buckets, counts, strict=False):
            running += bucket_count
            lines.append(f'{self.name}_bucket{{le="{_number(bound)}"}} {running}')
        lines.append(f'{self.name}_bucket{{le="+Inf"}} {count}')
        lines.append(f"{self.name}_sum {_number(total)}")
        lines.append(f"{self.name}_count {count}")
        return lines


class Gauge:
    """A value read when the metrics are rendered."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name, self.help, self.read = name, help_text, read

    def snapshot(self) -> float:
        return float(self.read())

    def render(self, snapshots: Sequence[float] | None = None) -> list[str]:
        """The value now, or the sum of `snapshots`."""
        value = self.read() if snapshots is None else sum(float(v) for v in snapshots)
        return [
            f"# HELP {self.name} {self.help}",
            f"# TYPE {self.name} {self.kind}",
            f"{self.name} {_number(value)}",
        ]


class CounterReading(Gauge):
    """A running total kept elsewhere (it only grows), read when the metrics are rendered."""

    kind = "counter"


def _none() -> float:
    return 0.0


class ListenerMetrics:
    """Every metric the listener exposes."""

    def __init__(
        self,
        queue_depth: Callable[[], float],
        *,
        write_lock_seconds: Callable[[], float] = _none,
        write_lock_busy: Callable[[], float] = _none,
        wal_sync_seconds: Callable[[], float] = _none,
    ) -> None:
        self.alerts = Counter(
            "incident_console_alerts_received_total",
            "Alerts received, by integration and outcome.",
        )
        self.requests = Counter(
            "incident_console_requests_total", "HTTP requests answered, by route and status."
        )
        self.latency = Histogram(
            "incident_console_ingest_latency_seconds",
            "Time from receiving a notification to answering it after its commit.",
            LATENCY_BUCKETS,
        )
        self.batch_size = Histogram(
            "incident_console_commit_batch_alerts",
            "Alerts committed per group commit.",
            BATCH_BUCKETS,
        )
        self.commit_seconds = Histogram(
            "incident_console_commit_seconds", "Time one group commit took.", LATENCY_BUCKETS
        )
        self.queue_depth = Gauge(
            "incident_console_queue_depth", "Alerts waiting for the writer.", queue_depth
        )
        # `serve --workers`: how long the workers held their write lock, how often one
        # found it taken, and how long their WAL syncs took: what their requests wait for
        # besides the CPU.
        self.write_lock_seconds = CounterReading(
            "incident_console_write_lock_held_seconds_total",
            "Time serve workers held the store's write lock (0 with one process).",
            write_lock_seconds,
        )
        self.write_lock_busy = CounterReading(
            "incident_console_write_lock_busy_total",
            "Times a serve worker found the write lock held by another and tried again later.",
            write_lock_busy,
        )
        self.wal_sync_seconds = CounterReading(
            "incident_console_wal_sync_seconds_total",
            "Time serve workers spent syncing the store's WAL before answering (0 with one "
            "process, whose COMMIT syncs).",
            wal_sync_seconds,
        )

    def _all(self) -> tuple[Counter | Histogram | Gauge, ...]:
        return (
            self.alerts,
            self.requests,
            self.latency,
            self.batch_size,
            self.commit_seconds,
            self.queue_depth,
            self.write_lock_seconds,
            self.write_lock_busy,
            self.wal_sync_seconds,
        )

    def snapshot(self) -> dict[str, Any]:
        """Every metric's values as JSON-able data, by metric name."""
        return {metric.name: metric.snapshot() for metric in self._all()}

    def render(self, snapshots: Sequence[dict[str, Any]] | None = None) -> str:
        """The text format: of these metrics, or of the sum of several processes' snapshots
        (a metric missing from a snapshot counts as nothing there)."""
        lines: list[str] = []
        for metric in self._all():
            if snapshots is None:
                lines += metric.render()
            else:
                parts = [snap[metric.name] for snap in snapshots if metric.name in snap]
                lines += metric.render(parts)
        return "\n".join(lines) + "\n"
