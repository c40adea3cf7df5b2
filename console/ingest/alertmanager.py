"""The Prometheus Alertmanager webhook, version 4: one notification, one alert per `alerts[]`.

Alertmanager drops a notification for good on any 4xx, so refusals here are reserved for
bodies that are not (or not a readable) version 4 webhook; odd values inside an alert are
read as leniently as the generic payload's.
"""

from __future__ import annotations

import functools
import sys
from datetime import datetime
from typing import Any, Final
from urllib.parse import parse_qs, urlsplit

from console.ingest import fields, fingerprint
from console.ingest.normalized import Action, NormalizedAlert, PayloadError

REQUIRED_KEYS: Final = (
    "version",
    "groupKey",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
)
_SIGNATURE_KEYS: Final = ("version", "groupKey", "receiver", "externalURL")
MAX_ALERTS: Final = 1000
DEFAULT_TITLE: Final = "New: Alert"
MONITORING_TOOL: Final = "Prometheus"
LONGEST_REMEMBERED_URL: Final = 2048

# Label and annotation values are kept whole here; each field cuts its own share.
_WHOLE: Final = sys.maxsize


def looks_like_alertmanager(body: dict[str, Any]) -> bool:
    """True when the body has `alerts` and at least one of the webhook's envelope keys."""
    return "alerts" in body and any(key in body for key in _SIGNATURE_KEYS)


def parse_alertmanager(body: dict[str, Any], *, now: datetime) -> list[NormalizedAlert]:
    """Read a version 4 webhook into one alert per `alerts[]` item (none for an empty list)."""
    if "version" in body and body["version"] != "4":
        raise PayloadError(
            f"unsupported Alertmanager webhook version {_short(body['version'])}; "
            'only version "4" is accepted',
            422,
        )
    missing = [key for key in REQUIRED_KEYS if key not in body]
    if missing:
        raise PayloadError(
            "Alertmanager notification is missing required keys: " + ", ".join(missing), 400
        )
    items = body["alerts"]
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise PayloadError("field 'alerts' must be an array of objects", 400)
    if len(items) > MAX_ALERTS:
        raise PayloadError(f"at most {MAX_ALERTS} alerts per notification", 400)
    envelope = {
        "_receiver": body["receiver"],
        "_groupKey": body["groupKey"],
        "_externalURL": body["externalURL"],
    }
    return [
        _parse_item(item, index, envelope, body["status"], now) for index, item in enumerate(items)
    ]


def _short(value: object) -> str:
    if isinstance(value, str | int | float | bool) or value is None:
        shown = repr(value)
        return shown if len(shown) <= 40 else shown[:37] + "..."
    return "an object" if isinstance(value, dict) else "an array"


def _string_map(item: dict[str, Any], key: str, index: int) -> dict[str, str]:
    """Read `labels` or `annotations`: an object whose scalar values become text."""
    value = item.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PayloadError(f"field 'alerts[{index}].{key}' must be an object", 400)
    read: dict[str, str] = {}
    for name, raw in value.items():
        if isinstance(raw, str):  # what Alertmanager always sends: no conversion
            read[str(name)] = raw
        elif raw is not None:
            read[str(name)] = fields.text(raw, f"alerts[{index}].{key}.{name}", _WHOLE)
    return read


def _first(source: dict[str, str], *names: str) -> tuple[str, str]:
    """The first non-blank value among `names`, with the name it came from ("" if none)."""
    for name in names:
        value = source.get(name, "")
        if value.strip():
            return name, value
    return "", ""


def _full_query(generator_url: object) -> str:
    if not isinstance(generator_url, str):
        return ""
    if len(generator_url) > LONGEST_REMEMBERED_URL:
        return _query_of(generator_url)
    return _remembered_query(generator_url)


def _query_of(generator_url: str) -> str:
    try:
        query = parse_qs(urlsplit(generator_url).query)
    except ValueError:
        # urlsplit refuses some malformed hosts (an unclosed IPv6 bracket); no query then.
        return ""
    values = query.get("g0.expr")
    return values[0] if values else ""


# Remembered: every alert of one rule carries the same generator URL. Longer URLs are read
# every time, so a sender cannot fill the memory with huge keys.
_remembered_query = functools.lru_cache(maxsize=512)(_query_of)


def _fingerprint(
    item: dict[str, Any], labels: dict[str, str], index: int
) -> tuple[str | None, str]:
    raw = fields.text(item.get("fingerprint"), f"alerts[{index}].fingerprint", _WHOLE)
    if raw.strip():
        return fingerprint.of_value(raw), raw[:255]
    # Without Alertmanager's own fingerprint, the label set is the alert's identity.
    identity = ",".join(f"{name}={labels[name]}" for name in sorted(labels))
    return fingerprint.of_value(identity), ""


def _parse_item(
    item: dict[str, Any],
    index: int,
    envelope: dict[str, Any],
    group_status: object,
    now: datetime,
) -> NormalizedAlert:
    labels = _string_map(item, "labels", index)
    annotations = _string_map(item, "annotations", index)

    title_key, title = _first(annotations, "title", "summary")
    if not title_key:
        # alertname is a label, not an annotation: it stays in details even when it is used.
        title = _first(labels, "alertname")[1]
    description_key, description = _first(annotations, "description")
    runbook_key, runbook = _first(annotations, "runbook", "runbook_url")

    # Real Alertmanager sets a status on every item; the group's is a fallback for hand-made ones.
    status = item.get("status", group_status)
    action = Action.RESOLVE if status == "resolved" else Action.TRIGGER
    ended_at: datetime | None = None
    if action is Action.RESOLVE:
        ended_at = fields.parse_time(item.get("endsAt"), now=now) or now

    alert_fingerprint, source_key = _fingerprint(item, labels, index)
    used = {title_key, description_key, runbook_key} - {""}
    # Annotations shown as title, description or runbook are not repeated as details.
    shown = {
        "labels": labels,
        "annotations": {name: value for name, value in annotations.items() if name not in used},
    }
    return NormalizedAlert(
        title=(title or DEFAULT_TITLE)[:200],
        action=action,
        started_at=fields.parse_time(item.get("startsAt"), now=now) or now,
        ended_at=ended_at,
        severity=fields.severity(labels.get("severity")),
        fingerprint=alert_fingerprint,
        description=description[:1000],
        service=_first(labels, "service", "job")[1][:100],
        monitoring_tool=MONITORING_TOOL,
        hosts=fields.hosts(_first(labels, "instance", "host", "hostname")[1]),
        environment=_first(labels, "gitlab_environment_name", "environment", "env")[1][:100],
        runbook=runbook[:1000],
        full_query=_full_query(item.get("generatorURL")),
        source_key=source_key,
        y_label=annotations.get("gitlab_y_label", "")[:100],
        incident_markdown=annotations.get("gitlab_incident_markdown", "")[:100_000],
        payload={**item, **envelope},
        details=fields.flatten_text_maps({key: part for key, part in shown.items() if part}),
    )
