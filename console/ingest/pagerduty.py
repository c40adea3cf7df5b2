"""The PagerDuty Events API v2 shape, so tools that already page PagerDuty can page us instead.

`dedup_key` is the alert's identity and is echoed back to the sender as `source_key`.
`routing_key` is PagerDuty's secret, so it never reaches the stored payload.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Final

from console.ingest import fields, fingerprint
from console.ingest.normalized import Action, NormalizedAlert, PayloadError

ACTIONS: Final = {
    "trigger": Action.TRIGGER,
    "acknowledge": Action.ACKNOWLEDGE,
    "resolve": Action.RESOLVE,
}
DEFAULT_TOOL: Final = "PagerDuty Events API"
DEFAULT_TITLE: Final = "New: Alert"
MAX_DEDUP_KEY: Final = 255


def looks_like_pagerduty(body: dict[str, Any]) -> bool:
    """True when the body has `event_action`, or both `routing_key` and `payload`."""
    return "event_action" in body or ("routing_key" in body and "payload" in body)


def _event_action(body: dict[str, Any]) -> Action:
    raw = body.get("event_action")
    action = ACTIONS.get(raw) if isinstance(raw, str) else None
    if action is None:
        shown = repr(raw)[:40] if isinstance(raw, str | int | float | bool) else "a non-string"
        raise PayloadError(
            f"event_action must be one of trigger, acknowledge, resolve; got {shown}", 400
        )
    return action


def _dedup_key(body: dict[str, Any], action: Action) -> str:
    raw = body.get("dedup_key")
    if fields.is_blank(raw):
        if action is not Action.TRIGGER:
            raise PayloadError("dedup_key is required for acknowledge and resolve", 400)
        # PagerDuty makes one up for a trigger without a key; the sender learns it from us.
        return uuid.uuid4().hex
    if not isinstance(raw, str) or len(raw) > MAX_DEDUP_KEY:
        raise PayloadError(f"dedup_key must be a string of at most {MAX_DEDUP_KEY} characters", 400)
    return raw


def _runbook(links: object) -> str:
    if not isinstance(links, list):
        return ""
    for link in links:
        if not isinstance(link, dict):
            continue
        label, href = link.get("text"), link.get("href")
        if isinstance(label, str) and "runbook" in label.lower() and isinstance(href, str):
            return href[:1000]
    return ""


def _service(event: dict[str, Any]) -> str:
    for key in ("component", "group"):
        value = event.get(key)
        if not fields.is_blank(value):
            return fields.text(value, f"payload.{key}", 100)
    return ""


def parse_pagerduty(body: dict[str, Any], *, now: datetime) -> NormalizedAlert:
    """Read one Events API v2 event; a trigger must carry `payload.summary`."""
    action = _event_action(body)
    dedup_key = _dedup_key(body, action)
    event = body.get("payload")
    if event is None and action is not Action.TRIGGER:
        event = {}
    if not isinstance(event, dict):
        raise PayloadError("field 'payload' must be an object", 400)
    summary = fields.text(event.get("summary"), "payload.summary", 200)
    if action is Action.TRIGGER and not summary.strip():
        raise PayloadError("payload.summary is required", 400)

    custom_details = event.get("custom_details")
    description = ""
    if isinstance(custom_details, dict) and isinstance(custom_details.get("description"), str):
        description = custom_details["description"][:1000]
    client = body.get("client")

    return NormalizedAlert(
        title=summary if summary.strip() else DEFAULT_TITLE,
        action=action,
        started_at=fields.parse_time(event.get("timestamp"), now=now) or now,
        ended_at=now if action is Action.RESOLVE else None,
        severity=fields.severity(event.get("severity")),
        fingerprint=fingerprint.of_value(dedup_key),
        description=description,
        service=_service(event),
        monitoring_tool=(
            fields.text(client, "client", 100) if not fields.is_blank(client) else DEFAULT_TOOL
        ),
        hosts=fields.text(event.get("source"), "payload.source", 255),
        runbook=_runbook(body.get("links")),
        source_key=dedup_key,
        payload={key: value for key, value in body.items() if key != "routing_key"},
        details=fields.flatten(
            {
                key: event[key]
                for key in ("custom_details", "component", "group", "class")
                if event.get(key) is not None
            }
        ),
    )
