"""Prometheus's range query API: the step that respects its point limit, the call, the answer.

Prometheus refuses a range query whose series would hold more than 11,000 points, so the
step is chosen to keep every series at or under 10,001 points whatever the range.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx

MAX_POINTS = 11_000  # Prometheus's own limit per series
TARGET_POINTS = 10_000  # intervals per range: 10,001 points at most, under the limit
DEFAULT_TIMEOUT = 10.0


class MetricsError(Exception):
    """A chart's data could not be had; the message is shown in its place."""


@dataclass(frozen=True, slots=True)
class Series:
    """One label set's samples: `times` in unix seconds, `values` as floats (NaN kept)."""

    labels: dict[str, str]
    times: list[float]
    values: list[float]

    def to_json(self) -> dict[str, Any]:
        """`{"labels": {...}, "points": [[t, v], ...]}`."""
        return {
            "labels": self.labels,
            "points": [list(p) for p in zip(self.times, self.values, strict=True)],
        }


@dataclass(frozen=True, slots=True)
class QueryResult:
    """The series of one chart and the step (seconds) they were fetched with."""

    series: list[Series]
    step: float

    def to_json(self) -> dict[str, Any]:
        """`{"series": [...], "step": s}`."""
        return {"series": [s.to_json() for s in self.series], "step": self.step}


def choose_step(start: datetime, end: datetime) -> float:
    """Whole seconds, at least 1, so that (end - start) / step stays within TARGET_POINTS."""
    seconds = max((end - start).total_seconds(), 0.0)
    return float(max(1, math.ceil(seconds / TARGET_POINTS)))


def error_message(response: httpx.Response) -> str:
    """`HTTP 404: Dashboard not found` from any JSON error shape (Prometheus or Grafana)."""
    reason = response.reason_phrase or ""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        found = body.get("error") or body.get("message")
        if isinstance(found, str) and found.strip():
            reason = found.strip()
    elif response.text.strip() and len(response.text) < 200:
        reason = response.text.strip()
    if response.is_redirect:
        where = response.headers.get("location", "elsewhere")
        reason = f"redirected to {where} (redirects are not followed)"
    return f"HTTP {response.status_code}: {reason}".rstrip(": ")


async def get_json(
    client: httpx.AsyncClient,
    url: str,
    params: dict[str, str] | None = None,
    headers: dict[str, str] | None = None,
) -> Any:
    """GET `url`; its JSON on 200, else MetricsError with the status and the server's reason."""
    try:
        response = await client.get(url, params=params, headers=headers, follow_redirects=False)
    except httpx.TimeoutException:
        raise MetricsError(f"{_where(url)} did not answer in time") from None
    except httpx.HTTPError as exc:
        raise MetricsError(f"{_where(url)} is unreachable: {exc or type(exc).__name__}") from None
    if response.status_code != 200:
        raise MetricsError(error_message(response))
    try:
        return response.json()
    except ValueError:
        raise MetricsError(f"{_where(url)} answered with something that is not JSON") from None


def _where(url: str) -> str:
    parts = httpx.URL(url)
    return f"{parts.scheme}://{parts.netloc.decode()}"


def parse_matrix(body: Any) -> list[Series]:
    """The series of a `query_range` answer (`resultType` matrix)."""
    if not isinstance(body, dict) or body.get("status") != "success":
        message = body.get("error") if isinstance(body, dict) else None
        raise MetricsError(f"query failed: {message or 'unexpected answer'}")
    data = body.get("data") or {}
    if data.get("resultType") != "matrix":
        raise MetricsError(f"expected a range of samples, got {data.get('resultType')!r}")
    found: list[Series] = []
    for item in data.get("result") or []:
        labels = {str(k): str(v) for k, v in (item.get("metric") or {}).items()}
        samples = item.get("values") or []
        found.append(Series(labels, [float(t) for t, _ in samples], [float(v) for _, v in samples]))
    return found


async def query_range(
    client: httpx.AsyncClient,
    base: str,
    query: str,
    *,
    start: datetime,
    end: datetime,
    step: float,
    headers: dict[str, str] | None = None,
) -> list[Series]:
    """`GET <base>/api/v1/query_range` and its series."""
    params = {
        "query": query,
        "start": f"{start.timestamp():.3f}",
        "end": f"{end.timestamp():.3f}",
        "step": f"{step:g}",
    }
    body = await get_json(client, base.rstrip("/") + "/api/v1/query_range", params, headers)
    return parse_matrix(body)
