"""Alert ingestion: raw request bytes in, normalized alerts (or a `PayloadError`) out.

The package is pure: no I/O, no store, no Qt. `parse_body` is the one entry point the
listener uses; it recognizes the payload shape (Alertmanager, then PagerDuty, then the
generic endpoint) and hands the body to that shape's parser.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from console.ingest.alertmanager import looks_like_alertmanager, parse_alertmanager
from console.ingest.decode import MAX_BODY_BYTES, decode_json
from console.ingest.fields import SEVERITIES
from console.ingest.generic import parse_generic
from console.ingest.normalized import Action, NormalizedAlert, PayloadError
from console.ingest.pagerduty import looks_like_pagerduty, parse_pagerduty

__all__ = [
    "MAX_BODY_BYTES",
    "SEVERITIES",
    "Action",
    "NormalizedAlert",
    "PayloadError",
    "Shape",
    "parse_body",
]

Shape = Literal["generic", "alertmanager", "pagerduty"]


def _kind(value: object) -> str:
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null"


def parse_body(
    raw: bytes,
    *,
    mapping: Mapping[str, str] | None = None,
    now: datetime | None = None,
) -> tuple[Shape, list[NormalizedAlert]]:
    """Decode `raw`, recognize its shape and parse it; raise `PayloadError` if refused.

    `mapping` (field name to path) applies to generic payloads only. `now` stands in for
    missing times; it defaults to the current UTC time, and a naive one is taken as UTC.
    """
    if now is None:
        now = datetime.now(UTC)
    elif now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    body = decode_json(raw)
    if not isinstance(body, dict):
        raise PayloadError(f"body must be a JSON object, got {_kind(body)}", 400)
    if looks_like_alertmanager(body):
        return "alertmanager", parse_alertmanager(body, now=now)
    if looks_like_pagerduty(body):
        return "pagerduty", [parse_pagerduty(body, now=now)]
    return "generic", [parse_generic(body, mapping=mapping or {}, now=now)]
