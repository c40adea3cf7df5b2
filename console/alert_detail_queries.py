"""What the alert detail view shows, read in one go: fields, payload, events and activity.

An alert repeated many times has many events; the list holds the newest `EVENT_LIMIT` of
them without their payloads (each is read when it is looked at), so opening any alert reads
a bounded amount. Imports no Qt.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.derived_notes import alert_notes
from console.models import Alert, AlertEvent, Incident, Integration

EVENT_LIMIT = 500
NOTE_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class EventEntry:
    """One received notification about the alert."""

    id: int
    received_at: datetime
    kind: str
    integration: str


@dataclass(frozen=True, slots=True)
class ActivityEntry:
    """One note about the alert (system notes and comments)."""

    created_at: datetime
    author: str
    body: str
    system: bool


@dataclass(frozen=True, slots=True)
class IncidentLink:
    """The incident an alert belongs to."""

    iid: int
    title: str
    status: str


@dataclass(frozen=True, slots=True)
class AlertDetail:
    """Everything the detail view shows about one alert."""

    alert: Alert
    integration: str
    incident: IncidentLink | None
    payload: str
    events: list[EventEntry]
    events_total: int
    activity: list[ActivityEntry]


def format_payload(text: str) -> str:
    """A stored payload as indented JSON (or as it is, if it is not JSON)."""
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def load_alert_detail(session: Session, iid: int) -> AlertDetail | None:
    """The detail of alert `iid`, or None if there is no such alert."""
    alert = session.get(Alert, iid)
    if alert is None:
        return None
    session.expunge(alert)  # a snapshot: the view keeps it after the session closes
    integration = ""
    if alert.integration_id is not None:
        integration = (
            session.scalar(select(Integration.name).where(Integration.id == alert.integration_id))
            or ""
        )
    incident = None
    if alert.incident_iid is not None:
        found = session.execute(
            select(Incident.iid, Incident.title, Incident.status).where(
                Incident.iid == alert.incident_iid
            )
        ).first()
        if found is not None:
            incident = IncidentLink(found[0], found[1], found[2])
    first = session.scalar(
        select(AlertEvent.payload)
        .where(AlertEvent.alert_iid == iid)
        .order_by(AlertEvent.id)
        .limit(1)
    )
    events = [
        EventEntry(event_id, received_at, kind, name or "")
        for event_id, received_at, kind, name in session.execute(
            select(AlertEvent.id, AlertEvent.received_at, AlertEvent.kind, Integration.name)
            .outerjoin(Integration, Integration.id == AlertEvent.integration_id)
            .where(AlertEvent.alert_iid == iid)
            .order_by(AlertEvent.id.desc())
            .limit(EVENT_LIMIT)
        )
    ]
    total = session.scalar(
        select(func.count()).select_from(AlertEvent).where(AlertEvent.alert_iid == iid)
    )
    activity = [
        ActivityEntry(note.created_at, note.author, note.body, note.system)
        for note in alert_notes(session, iid, limit=NOTE_LIMIT)
    ]
    return AlertDetail(
        alert=alert,
        integration=integration,
        incident=incident,
        payload=format_payload(first) if first is not None else "",
        events=events,
        events_total=int(total or 0),
        activity=activity,
    )


def event_payload(session: Session, event_id: int) -> str:
    """One event's payload as indented JSON ("" if the event is gone)."""
    text = session.scalar(select(AlertEvent.payload).where(AlertEvent.id == event_id))
    return format_payload(text) if text is not None else ""
