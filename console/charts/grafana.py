"""A Grafana panel's data the way GitLab fetched it: three calls through Grafana's HTTP API.

1. `GET /api/dashboards/uid/<uid>` gives the dashboard; the panel's first target holds its
   Prometheus query and the panel names its data source.
2. `GET /api/datasources/name/<name>` gives the data source's id (it must be Prometheus with
   proxy access).
3. `GET /api/datasources/proxy/<id>/api/v1/query_range` runs the query through Grafana.

Each call carries `Authorization: Bearer <token>`, follows no redirect and treats anything but
200 as an error. Only `$__interval`, `$__from`, `$__to` and the link's `var-` values are
filled in; a query needing anything else is refused with the reason.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import httpx

from console.charts.embeds import Embed
from console.charts.prometheus import MetricsError, Series, get_json, query_range

UNSUPPORTED = ("$__interval_ms", "$__timeFilter", "$__name", "$timeFilter", "$interval")
_UNSUPPORTED = re.compile(
    r"\$(?:__interval_ms|__timeFilter|__name|timeFilter|interval)(?![A-Za-z0-9_])"
)
_BUILTIN = re.compile(r"\$\{?(__interval|__from|__to)\}?(?![A-Za-z0-9_])")
_VARIABLE = re.compile(
    r"\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\$([A-Za-z0-9_]+)|\[\[([A-Za-z0-9_]+)\]\]"
)


def find_panel(dashboard: dict[str, Any], panel_id: int) -> dict[str, Any] | None:
    """The panel with `panel_id`, looking inside rows and collapsed rows too."""
    pending: list[Any] = list(dashboard.get("panels") or [])
    for row in dashboard.get("rows") or []:  # dashboards from before Grafana 5
        pending += row.get("panels") or []
    while pending:
        panel = pending.pop(0)
        if not isinstance(panel, dict):
            continue
        if panel.get("id") == panel_id:
            return panel
        pending += panel.get("panels") or []
    return None


def panel_query(panel: dict[str, Any]) -> tuple[str, str]:
    """The panel's Prometheus query and data source name."""
    if panel.get("type") not in ("graph", "timeseries"):
        raise MetricsError(f"panel {panel.get('id')} is a {panel.get('type')!r}, not a graph")
    targets = panel.get("targets") or []
    expr = targets[0].get("expr") if targets and isinstance(targets[0], dict) else None
    if not isinstance(expr, str) or not expr.strip():
        raise MetricsError(f"panel {panel.get('id')} has no Prometheus query")
    source = panel.get("datasource")
    if isinstance(source, dict):
        source = source.get("name") or source.get("uid")
    if not isinstance(source, str) or not source or source.startswith("$"):
        raise MetricsError(f"panel {panel.get('id')} names no data source")
    return expr, source


def fill_in(expr: str, embed: Embed, step: float) -> str:
    """Substitute `$__interval`, `$__from`, `$__to` and `var-` values into `expr`."""
    unsupported = _UNSUPPORTED.search(expr)
    if unsupported:
        raise MetricsError(f"the panel query uses {unsupported.group(0)}, which is not supported")
    builtins = {
        "__interval": f"{step:g}s",
        "__from": str(int(embed.start.timestamp() * 1000)),
        "__to": str(int(embed.end.timestamp() * 1000)),
    }
    filled = _BUILTIN.sub(lambda m: builtins[m.group(1)], expr)

    def variable(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2) or match.group(3)
        if name not in embed.variables:
            raise MetricsError(f"the link gives no value for ${name} (add var-{name}=…)")
        return embed.variables[name]

    return _VARIABLE.sub(variable, filled)


async def panel_series(
    client: httpx.AsyncClient, base: str, token: str, embed: Embed, step: float
) -> tuple[str, list[Series]]:
    """The panel's query as run, and its series, through Grafana at `base`."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    root = base.rstrip("/")
    found = await get_json(client, f"{root}/api/dashboards/uid/{quote(embed.uid)}", None, headers)
    dashboard = found.get("dashboard") if isinstance(found, dict) else None
    if not isinstance(dashboard, dict):
        raise MetricsError(f"Grafana returned no dashboard for {embed.uid}")
    panel = find_panel(dashboard, embed.panel_id)
    if panel is None:
        raise MetricsError(f"dashboard {embed.uid} has no panel {embed.panel_id}")
    expr, source_name = panel_query(panel)
    query = fill_in(expr, embed, step)
    source = await get_json(
        client, f"{root}/api/datasources/name/{quote(source_name, safe='')}", None, headers
    )
    if not isinstance(source, dict) or source.get("type") != "prometheus":
        raise MetricsError(f"data source {source_name} is not Prometheus")
    if source.get("access") != "proxy":
        raise MetricsError(f"data source {source_name} is not reachable through Grafana (proxy)")
    proxy = f"{root}/api/datasources/proxy/{source.get('id')}"
    series = await query_range(
        client, proxy, query, start=embed.start, end=embed.end, step=step, headers=headers
    )
    return query, series
