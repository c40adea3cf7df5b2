"""The normalized alert: what every payload shape (generic, Alertmanager, PagerDuty) becomes.

The ingest package turns a decoded JSON body into a list of `NormalizedAlert`s, or raises
`PayloadError` with the HTTP status and a message that says what is wrong. Nothing here
touches the store: the engine decides what a normalized alert does (new, repeat, recovery).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


class Action(enum.Enum):
    """What a notification asks for."""

    TRIGGER = "trigger"
    ACKNOWLEDGE = "acknowledge"
    RESOLVE = "resolve"


class PayloadError(Exception):
    """A body the listener refuses; `status` is the HTTP status to answer with."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


@dataclass(slots=True)
class NormalizedAlert:
    """One alert as read from one notification, in the console's own terms.

    `fingerprint` is the 40-hex SHA-1 that identifies repeats, or None when the payload gave
    nothing to identify it by (then every notification is a new alert). `source_key` is the key
    the sender knows the alert by (PagerDuty's `dedup_key`), echoed back in responses.
    `payload` is the part of the body this alert came from, kept as received.
    `details` are the payload keys the normalized fields did not consume, flattened to dotted keys.
    """

    title: str
    action: Action
    started_at: datetime
    severity: str
    fingerprint: str | None
    description: str = ""
    ended_at: datetime | None = None
    service: str = ""
    monitoring_tool: str = ""
    hosts: str = ""
    environment: str = ""
    runbook: str = ""
    full_query: str = ""
    source_key: str = ""
    y_label: str = ""
    incident_markdown: str = ""
    payload: dict[str, Any] = field(default_factory=dict)
    details: dict[str, str] = field(default_factory=dict)
