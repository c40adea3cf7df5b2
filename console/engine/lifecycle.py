"""Changes people make by hand: alert status, closing and reopening incidents.

Each change leaves a system note saying who did what. Closing an incident resolves its open
alerts; resolving an alert by hand closes its incident when auto-close is on, as a recovery does.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin.settings import load_settings
from console.models import (
    Alert,
    AlertStatus,
    Incident,
    IncidentStatus,
    Note,
    storable,
    utcnow,
)

STATUS_NAMES = {status.value: status.value.capitalize() for status in AlertStatus}


def _note(
    session: Session, body: str, author: str, *, alert: int | None, incident: int | None
) -> None:
    session.add(Note(alert_iid=alert, incident_iid=incident, author=author, body=body, system=True))


def get_alert(session: Session, iid: int) -> Alert:
    """Alert `iid`, or AdminError."""
    alert = session.get(Alert, iid) if storable(iid) else None
    if alert is None:
        raise AdminError(f"no alert #{iid}")
    return alert


def get_incident(session: Session, iid: int) -> Incident:
    """Incident `iid`, or AdminError."""
    incident = session.get(Incident, iid) if storable(iid) else None
    if incident is None:
        raise AdminError(f"no incident #{iid}")
    return incident


def set_alert_status(session: Session, iid: int, status: str, author: str) -> Alert:
    """Set an alert's status by hand (any status to any other)."""
    if status not in STATUS_NAMES:
        raise AdminError(f"status must be one of {', '.join(STATUS_NAMES)}, not {status!r}")
    alert = get_alert(session, iid)
    if alert.status == status:
        return alert
    if status != AlertStatus.RESOLVED.value and alert.fingerprint is not None:
        clash = session.scalar(
            select(Alert.iid).where(
                Alert.fingerprint == alert.fingerprint,
                Alert.status != AlertStatus.RESOLVED.value,
                Alert.iid != alert.iid,
            )
        )
        if clash is not None:
            raise AdminError(f"alert #{clash} with the same fingerprint is open; resolve it first")
    now = utcnow()
    alert.status = status
    alert.updated_at = now
    alert.ended_at = now if status == AlertStatus.RESOLVED.value else None
    _note(
        session,
        f"changed the status to {STATUS_NAMES[status]}",
        author,
        alert=alert.iid,
        incident=alert.incident_iid,
    )
    if status == AlertStatus.RESOLVED.value and alert.incident_iid is not None:
        settings = load_settings(session)
        incident = session.get(Incident, alert.incident_iid)
        if (
            incident is not None
            and incident.status == IncidentStatus.OPEN.value
            and settings.get("incident_management")
            and settings.get("auto_close_incident")
        ):
            incident.status = IncidentStatus.CLOSED.value
            incident.closed_at = now
            incident.updated_at = now
            _note(
                session,
                "closed this incident because the alert resolved",
                author,
                alert=None,
                incident=incident.iid,
            )
    session.flush()
    return alert


def close_incident(session: Session, iid: int, author: str) -> Incident:
    """Close an incident and resolve its open alerts."""
    incident = get_incident(session, iid)
    if incident.status == IncidentStatus.CLOSED.value:
        raise AdminError(f"incident #{iid} is already closed")
    now = utcnow()
    incident.status = IncidentStatus.CLOSED.value
    incident.closed_at = now
    incident.updated_at = now
    _note(session, "closed", author, alert=None, incident=iid)
    open_alerts = session.scalars(
        select(Alert).where(Alert.incident_iid == iid, Alert.status != AlertStatus.RESOLVED.value)
    )
    for alert in open_alerts:
        alert.status = AlertStatus.RESOLVED.value
        alert.ended_at = now
        alert.updated_at = now
        _note(
            session,
            f"changed the status to Resolved by closing incident #{iid}",
            author,
            alert=alert.iid,
            incident=None,
        )
    session.flush()
    return incident


def reopen_incident(session: Session, iid: int, author: str) -> Incident:
    """Reopen a closed incident (its alerts keep their status)."""
    incident = get_incident(session, iid)
    if incident.status == IncidentStatus.OPEN.value:
        raise AdminError(f"incident #{iid} is already open")
    incident.status = IncidentStatus.OPEN.value
    incident.closed_at = None
    incident.updated_at = utcnow()
    _note(session, "reopened", author, alert=None, incident=iid)
    session.flush()
    return incident
