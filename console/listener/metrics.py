"""The console's own metrics, rendered in Prometheus text format for `GET /metrics`.

Small on purpose: counters and histograms with labels, updated from the event loop and the
writer thread (a lock keeps the two honest), rendered on demand.
"""

from __future__ import annotations

import bisect
import threading
from collections import defaultdict
from collections.abc import Callable

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

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} counter"]
        with self._lock:
            items = sorted(self._values.items())
        lines += [f"{self.name}{_labels(key)} {_number(value)}" for key, value in items]
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

    def render(self) -> list[str]:
        lines = [f"# HELP {self.name} {self.help}", f"# TYPE {self.name} histogram"]
        with self._lock:
            counts, total, count = list(self._counts), self._sum, self._count
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

    def __init__(self, name: str, help_text: str, read: Callable[[], float]) -> None:
        self.name, self.help, self.read = name, help_text, read

    def render(self) -> list[str]:
        return [
            f"# HELP {self.name} {self.help}",
            f"# TYPE {self.name} gauge",
            f"{self.name} {_number(self.read())}",
        ]


class ListenerMetrics:
    """Every metric the listener exposes."""

    def __init__(self, queue_depth: Callable[[], float]) -> None:
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

    def render(self) -> str:
        lines: list[str] = []
        for metric in (
            self.alerts,
            self.requests,
            self.latency,
            self.batch_size,
            self.commit_seconds,
            self.queue_depth,
        ):
            lines += metric.render()
        return "\n".join(lines) + "\n"
