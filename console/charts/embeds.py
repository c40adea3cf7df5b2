"""Which links are metric charts, and what each one asks for.

Three kinds of link become a chart when a line holds nothing but such links:

- a Prometheus graph link, `http(s)://host[:port]/graph?g0.expr=<query>&g0.range_input=1h
  [&g0.end_input=<time>]`; without `g0.end_input` the range ends at the moment the text refers
  to (the alert's start for an incident made from an alert), or now;
- the console's own dashboard link, `incident-console://metrics?dashboard=<name>&group=<g>
  &title=<t>&y_label=<y>[&start=<iso>&end=<iso>]` (no range: the 8 hours before that moment);
- a Grafana panel link, `http(s)://host/.../d/<uid>/<slug>?panelId=N&from=<ms>&to=<ms>
  [&var-name=value]`.

A link that only looks like one (a parameter missing, a range that does not parse or is
empty) is not an embed and stays a plain link. The host is not judged here: whether a data
source may be contacted is decided when data is fetched, so the reason can be shown in place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal
from urllib.parse import parse_qs, urlsplit

Kind = Literal["prometheus", "dashboard", "grafana"]
DASHBOARD_SCHEME = "incident-console"
DEFAULT_PROMETHEUS_RANGE = timedelta(hours=1)  # what Prometheus's own graph page assumes
DEFAULT_DASHBOARD_RANGE = timedelta(hours=8)
_DURATION_PART = re.compile(r"(\d+)(ms|[smhdwy])")
_UNITS = {
    "ms": timedelta(milliseconds=1),
    "s": timedelta(seconds=1),
    "m": timedelta(minutes=1),
    "h": timedelta(hours=1),
    "d": timedelta(days=1),
    "w": timedelta(weeks=1),
    "y": timedelta(days=365),
}
_GRAFANA_PATH = re.compile(r"^(?P<prefix>(?:/[^/]+)*?)/d/(?P<uid>[^/]+)(?:/(?P<slug>[^/]*))?/?$")
_END_FORMATS = ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%dT%H:%M")
_MAX_RANGE = timedelta(days=3650)


@dataclass(frozen=True, slots=True)
class Embed:
    """One chart: what to query, over which range, and how to label it.

    `source` is the link as written. `query` is the PromQL of a Prometheus link; for a Grafana
    panel or a console dashboard it is empty until the panel is looked up. `base` is the
    scheme, host and port (plus any path prefix for Grafana) the data comes from.
    """

    kind: Kind
    source: str
    query: str
    start: datetime
    end: datetime
    title: str
    y_label: str
    row: int = 0
    base: str = ""
    dashboard: str = ""
    group: str = ""
    panel_id: int = 0
    uid: str = ""
    variables: dict[str, str] = field(default_factory=dict)

    def at_row(self, row: int) -> Embed:
        """The same embed standing on 0-based line `row`."""
        return Embed(
            self.kind, self.source, self.query, self.start, self.end, self.title, self.y_label,
            row, self.base, self.dashboard, self.group, self.panel_id, self.uid,
            dict(self.variables),
        )  # fmt: skip

    def to_json(self) -> dict[str, Any]:
        """The stable JSON shape; `row` is 1-based, times ISO 8601 UTC."""
        return {
            "kind": self.kind,
            "source": self.source,
            "query": self.query,
            "start": iso(self.start),
            "end": iso(self.end),
            "title": self.title,
            "y_label": self.y_label,
            "row": self.row + 1,
        }


def iso(moment: datetime) -> str:
    """`2026-11-29T10:15:00Z` (milliseconds only when there are some)."""
    utc = moment.astimezone(UTC)
    text = utc.isoformat(timespec="milliseconds" if utc.microsecond else "seconds")
    return text.replace("+00:00", "Z")


def parse_duration(text: str) -> timedelta | None:
    """Prometheus durations: `1h`, `30m`, `1h30m`, `2d`; None unless positive and whole."""
    if not text or _DURATION_PART.sub("", text):
        return None
    total = sum(
        (int(number) * _UNITS[unit] for number, unit in _DURATION_PART.findall(text)),
        timedelta(),
    )
    return total if timedelta() < total <= _MAX_RANGE else None


def parse_time(text: str) -> datetime | None:
    """ISO 8601 or `YYYY-MM-DD HH:MM[:SS]`, read as UTC when no offset is given; else None."""
    cleaned = text.strip()
    if not cleaned:
        return None
    try:
        moment = datetime.fromisoformat(cleaned.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        moment = None
        for pattern in _END_FORMATS:
            try:
                moment = datetime.strptime(cleaned, pattern)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    if not values or len(values) != 1 or not values[0].strip():
        return None
    return values[0].strip()


def _origin(scheme: str, netloc: str) -> str:
    return f"{scheme.lower()}://{netloc.lower()}"


def parse_link(url: str, reference: datetime | None = None) -> Embed | None:
    """The embed `url` asks for, or None when it is not a complete metrics link."""
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018  # raises on a port that is not a number
    except ValueError:
        return None
    moment = (reference or datetime.now(UTC)).astimezone(UTC)
    params = parse_qs(parts.query, keep_blank_values=True)
    scheme = parts.scheme.lower()
    if scheme == DASHBOARD_SCHEME:
        return _dashboard(url, parts.netloc, parts.path, params, moment)
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    if parts.path.endswith("/graph") and "g0.expr" in params:
        return _prometheus(url, _origin(scheme, parts.netloc), parts.path, params, moment)
    found = _GRAFANA_PATH.match(parts.path)
    if found and "panelId" in params:
        base = _origin(scheme, parts.netloc) + found.group("prefix")
        return _grafana(url, base, found.group("uid"), params)
    return None


def _prometheus(
    url: str, origin: str, path: str, params: dict[str, list[str]], moment: datetime
) -> Embed | None:
    expr = _single(params, "g0.expr")
    if expr is None:
        return None
    span = DEFAULT_PROMETHEUS_RANGE
    if "g0.range_input" in params:
        given = _single(params, "g0.range_input")
        parsed = parse_duration(given) if given else None
        if parsed is None:
            return None
        span = parsed
    end = moment
    if "g0.end_input" in params:
        given = _single(params, "g0.end_input")
        ended = parse_time(given) if given else None
        if ended is None:
            return None
        end = ended
    prefix = path[: -len("/graph")]
    return Embed("prometheus", url, expr, end - span, end, expr, "", base=origin + prefix)


def _dashboard(
    url: str, host: str, path: str, params: dict[str, list[str]], moment: datetime
) -> Embed | None:
    if host.lower() != "metrics" or path.strip("/"):
        return None
    names = [_single(params, key) for key in ("dashboard", "group", "title", "y_label")]
    if any(value is None for value in names):
        return None
    dashboard, group, title, y_label = (value or "" for value in names)
    if "start" in params or "end" in params:
        start_text, end_text = _single(params, "start"), _single(params, "end")
        start = parse_time(start_text) if start_text else None
        end = parse_time(end_text) if end_text else None
        if start is None or end is None or not start < end:
            return None
    else:
        start, end = moment - DEFAULT_DASHBOARD_RANGE, moment
    return Embed("dashboard", url, "", start, end, title, y_label, dashboard=dashboard, group=group)


def _grafana(url: str, base: str, uid: str, params: dict[str, list[str]]) -> Embed | None:
    values = [_single(params, key) for key in ("panelId", "from", "to")]
    if any(value is None or not value.isdigit() for value in values):
        return None
    panel, start_ms, end_ms = (int(value or "0") for value in values)
    if not start_ms < end_ms:
        return None
    try:
        start = datetime.fromtimestamp(start_ms / 1000, UTC)
        end = datetime.fromtimestamp(end_ms / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        return None
    variables: dict[str, str] = {}
    for key, given in params.items():
        if key.startswith("var-") and len(key) > 4:
            if len(given) != 1:
                return None
            variables[key[4:]] = given[0]
    title = f"Grafana panel {panel}"
    return Embed(
        "grafana", url, "", start, end, title, "", base=base, panel_id=panel, uid=uid,
        variables=variables,
    )  # fmt: skip
