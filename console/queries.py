"""Read-side queries and the JSON shapes the command line (and its acceptance suite) use."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.derived_notes import NoteView, alert_notes, incident_notes
from console.engine.lifecycle import get_alert, get_incident
from console.models import Alert, AlertStatus, Incident, Integration, IssueTemplate

ALERT_FILTERS = {
    "open": (AlertStatus.TRIGGERED.value, AlertStatus.ACKNOWLEDGED.value),
    **{status.value: (status.value,) for status in AlertStatus},
}


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, or None."""
    if moment is None:
        return None
    return moment.isoformat().replace("+00:00", "Z")


def alert_json(alert: Alert) -> dict[str, Any]:
    """One alert as `alerts list --json` shows it."""
    return {
        "iid": alert.iid,
        "title": alert.title,
        "status": alert.status,
        "severity": alert.severity,
        "events": alert.events,
        "fingerprint": alert.fingerprint,
        "incident_iid": alert.incident_iid,
        "service": alert.service,
        "monitoring_tool": alert.monitoring_tool,
        "hosts": alert.hosts,
        "environment": alert.environment,
        "description": alert.description,
        "runbook": alert.runbook,
        "full_query": alert.full_query,
        "started_at": iso(alert.started_at),
        "ended_at": iso(alert.ended_at),
        "last_seen_at": iso(alert.last_seen_at),
    }


def list_alerts(session: Session, status: str | None = None, limit: int = 0) -> list[Alert]:
    """Alerts, newest first, optionally only those with a status (or `open`)."""
    query = select(Alert).order_by(Alert.iid.desc())
    if status:
        query = query.where(Alert.status.in_(ALERT_FILTERS[status]))
    if limit:
        query = query.limit(limit)
    return list(session.scalars(query))


def note_json(note: NoteView) -> dict[str, Any]:
    """One note."""
    return {
        "author": note.author,
        "body": note.body,
        "system": note.system,
        "created_at": iso(note.created_at),
    }


def incident_alert_iids(session: Session, iids: list[int]) -> dict[int, list[int]]:
    """The alerts linked to each of the incidents `iids`."""
    linked: dict[int, list[int]] = {iid: [] for iid in iids}
    if iids:
        rows = session.execute(
            select(Alert.incident_iid, Alert.iid)
            .where(Alert.incident_iid.in_(iids))
            .order_by(Alert.iid)
        )
        for incident_iid, alert_iid in rows:
            if incident_iid is not None:
                linked[incident_iid].append(alert_iid)
    return linked


def incident_json(incident: Incident, alert_iids: list[int]) -> dict[str, Any]:
    """One incident as `incidents list --json` shows it."""
    return {
        "iid": incident.iid,
        "title": incident.title,
        "status": incident.status,
        "severity": incident.severity,
        "labels": list(incident.labels or []),
        "assignees": list(incident.assignees or []),
        "alert_iids": alert_iids,
        "created_at": iso(incident.created_at),
        "closed_at": iso(incident.closed_at),
    }


def list_incidents(session: Session, status: str | None = None) -> list[dict[str, Any]]:
    """Incidents, newest first, as JSON objects."""
    query = select(Incident).order_by(Incident.iid.desc())
    if status:
        query = query.where(Incident.status == status)
    incidents = list(session.scalars(query))
    linked = incident_alert_iids(session, [i.iid for i in incidents])
    return [incident_json(i, linked[i.iid]) for i in incidents]


def show_incident(session: Session, iid: int) -> dict[str, Any]:
    """One incident with its description and notes, oldest note first."""
    incident = get_incident(session, iid)
    shown = incident_json(incident, incident_alert_iids(session, [iid])[iid])
    notes = incident_notes(session, incident)
    shown["description"] = incident.description
    shown["zoom_url"] = incident.zoom_url
    shown["notes"] = [note_json(n) for n in notes]
    return shown


def show_alert(session: Session, iid: int) -> dict[str, Any]:
    """One alert with its details and activity notes."""
    alert = get_alert(session, iid)
    shown = alert_json(alert)
    shown["details"] = dict(alert.details or {})
    shown["notes"] = [note_json(n) for n in alert_notes(session, iid)]
    return shown


def integration_json(integration: Integration) -> dict[str, Any]:
    """One integration (never its token)."""
    return {
        "name": integration.name,
        "type": integration.type,
        "active": integration.active,
        "identifier": integration.identifier,
        "url": integration.url_path,
        "mapping": dict(integration.mapping or {}),
        "created_at": iso(integration.created_at),
        "last_alert_at": iso(integration.last_alert_at),
    }


def template_json(template: IssueTemplate) -> dict[str, Any]:
    """One template."""
    return {
        "name": template.name,
        "content": template.content,
        "updated_at": iso(template.updated_at),
    }
