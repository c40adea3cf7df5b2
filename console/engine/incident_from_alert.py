"""Creating an incident for an alert by hand ("Create incident" on the alert).

The incident is made as auto-creation makes one (`console.engine.pipeline`): titled by the
alert (`New: Alert` becomes `New: Incident <n>`), labelled `incident`, with the alert's
summary and details and then the issue template chosen in the settings, and a system note
on both the alert and the incident. It is allowed whatever the auto-creation setting says:
that setting is about alerts creating incidents on their own.
"""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin.settings import load_settings
from console.engine import describe
from console.engine.lifecycle import get_alert
from console.ingest.normalized import Action, NormalizedAlert
from console.models import (
    INCIDENT_LABEL,
    Alert,
    Incident,
    IncidentStatus,
    IssueTemplate,
    Note,
    utcnow,
)


def _template(session: Session) -> str:
    name = str(load_settings(session).get("issue_template") or "")
    if not name:
        return ""
    found = session.scalar(select(IssueTemplate.content).where(IssueTemplate.name == name))
    return found or ""


def _as_normalized(alert: Alert) -> NormalizedAlert:
    """The stored alert in the shape the incident description is written from."""
    return NormalizedAlert(
        title=alert.title,
        action=Action.TRIGGER,
        started_at=alert.started_at,
        severity=alert.severity,
        fingerprint=alert.fingerprint,
        description=alert.description,
        ended_at=alert.ended_at,
        service=alert.service,
        monitoring_tool=alert.monitoring_tool,
        hosts=alert.hosts,
        environment=alert.environment,
        runbook=alert.runbook,
        full_query=alert.full_query,
        source_key=alert.source_key,
        details={str(k): str(v) for k, v in (alert.details or {}).items()},
    )


def create_incident_for_alert(session: Session, alert_iid: int, author: str) -> Incident:
    """Open an incident for alert `alert_iid` and link them; AdminError if it has one."""
    alert = get_alert(session, alert_iid)
    if alert.incident_iid is not None:
        raise AdminError(f"alert #{alert_iid} already has incident #{alert.incident_iid}")
    iid = (session.scalar(select(func.max(Incident.iid))) or 0) + 1
    now = utcnow()
    incident = Incident(
        iid=iid,
        title=describe.incident_title(alert.title, iid)[:255],
        description=describe.incident_description(_as_normalized(alert), _template(session)),
        status=IncidentStatus.OPEN.value,
        severity=alert.severity,
        labels=[INCIDENT_LABEL],
        assignees=[],
        author=author,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()  # the incident row must exist before the alert refers to it
    alert.incident_iid = iid
    alert.updated_at = now
    session.add(
        Note(
            alert_iid=alert.iid,
            incident_iid=iid,
            author=author,
            body=f"created incident #{iid} for this alert",
            system=True,
            created_at=now,
        )
    )
    session.flush()
    return incident
