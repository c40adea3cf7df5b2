"""Fetching a chart's data: only from configured data sources, cached, cancellation-safe.

`MetricsClient.fetch(embed)` answers a `QueryResult` or raises `MetricsError` with a reason fit
to show in the chart's place. A link whose scheme, host and port are not those of a configured
Prometheus (`prometheus_urls`) or Grafana (`grafana_url`) is refused before any request.
Results are kept for `ttl` seconds per (source, query, start, end, step); a cancelled fetch
leaves nothing behind.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from console.charts.embeds import Embed, parse_link
from console.charts.grafana import panel_series
from console.charts.prometheus import (
    DEFAULT_TIMEOUT,
    MetricsError,
    QueryResult,
    choose_step,
    query_range,
)

DEFAULT_TTL = 60.0
CACHE_LIMIT = 256
_DEFAULT_PORTS = {"http": 80, "https": 443}

# A console dashboard panel lookup: (dashboard, group, title) → its PromQL, or None.
DashboardLookup = Callable[[str, str, str], str | None]


def origin(url: str) -> tuple[str, str, int] | None:
    """(scheme, host, port) with the scheme's default port filled in; None if not http(s)."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    return scheme, parts.hostname.lower(), port or _DEFAULT_PORTS[scheme]


@dataclass(frozen=True, slots=True)
class Sources:
    """The data sources charts may contact, from the settings."""

    prometheus_urls: tuple[str, ...] = ()
    grafana_url: str = ""
    grafana_token: str = ""

    @classmethod
    def from_settings(cls, settings: Mapping[str, Any]) -> Sources:
        """From `load_settings(...)` (secrets resolved)."""
        urls = tuple(str(u).strip() for u in settings.get("prometheus_urls") or () if str(u))
        return cls(
            urls,
            str(settings.get("grafana_url") or "").strip(),
            str(settings.get("grafana_token") or ""),
        )

    def check(self, embed: Embed) -> str:
        """The configured base URL `embed` may use, or MetricsError saying why not."""
        where = origin(embed.base)
        if embed.kind == "prometheus":
            for url in self.prometheus_urls:
                if where is not None and origin(url) == where:
                    return embed.base
            shown = "{}://{}:{}".format(*where) if where else embed.base
            raise MetricsError(
                f"{shown} is not a configured Prometheus (settings: prometheus_urls); not contacted"
            )
        if embed.kind == "grafana":
            if where is not None and self.grafana_url and origin(self.grafana_url) == where:
                return self.grafana_url
            shown = "{}://{}:{}".format(*where) if where else embed.base
            raise MetricsError(
                f"{shown} is not the configured Grafana (settings: grafana_url); not contacted"
            )
        raise MetricsError(f"{embed.kind} links have no data source to check")


class MetricsClient:
    """Fetches chart data with one httpx client; use `async with` or call `aclose()`."""

    def __init__(
        self,
        sources: Sources,
        *,
        dashboards: DashboardLookup | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        ttl: float = DEFAULT_TTL,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.sources = sources
        self.dashboards = dashboards
        self.ttl = ttl
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(timeout), follow_redirects=False, transport=transport
        )
        self._cache: dict[tuple[str, str, float, float, float], tuple[float, QueryResult]] = {}

    async def __aenter__(self) -> MetricsClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connections."""
        await self.http.aclose()

    async def fetch_link(self, link: str) -> QueryResult:
        """The data of a metrics link (relative ranges end now)."""
        embed = parse_link(link)
        if embed is None:
            raise MetricsError("not a metrics link (Prometheus graph, Grafana panel or dashboard)")
        return await self.fetch(embed)

    async def fetch(self, embed: Embed) -> QueryResult:
        """The data of `embed`: from the cache while fresh, else from its data source."""
        step = choose_step(embed.start, embed.end)
        if embed.kind == "dashboard":
            query = self._dashboard_query(embed)
            embed = _with(embed, query=query, base=self._first_prometheus(embed))
        base = self.sources.check(embed)  # before anything else: refused means no request
        key = (
            embed.source if embed.kind == "grafana" else base,
            embed.query if embed.kind != "grafana" else "",
            embed.start.timestamp(),
            embed.end.timestamp(),
            step,
        )
        cached = self._cache.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        if embed.kind == "grafana":
            _, series = await panel_series(self.http, base, self.sources.grafana_token, embed, step)
        else:
            series = await query_range(
                self.http, embed.base, embed.query, start=embed.start, end=embed.end, step=step
            )
        result = QueryResult(series, step)
        if len(self._cache) >= CACHE_LIMIT:
            self._cache = {k: v for k, v in self._cache.items() if v[0] > now}
            if len(self._cache) >= CACHE_LIMIT:
                self._cache.clear()
        self._cache[key] = (time.monotonic() + self.ttl, result)
        return result

    def _dashboard_query(self, embed: Embed) -> str:
        found = (
            self.dashboards(embed.dashboard, embed.group, embed.title) if self.dashboards else None
        )
        if found is None:
            raise MetricsError(f"no dashboard named {embed.dashboard}")
        return found

    def _first_prometheus(self, embed: Embed) -> str:
        if not self.sources.prometheus_urls:
            raise MetricsError("no Prometheus is configured (settings: prometheus_urls)")
        return self.sources.prometheus_urls[0].rstrip("/")


def _with(embed: Embed, *, query: str, base: str) -> Embed:
    return Embed(
        "prometheus", embed.source, query, embed.start, embed.end, embed.title, embed.y_label,
        embed.row, base,
    )  # fmt: skip
