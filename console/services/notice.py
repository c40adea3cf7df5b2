"""What a notification says about an alert: the facts read back after its batch committed.

A committed batch reports, per alert, what happened (`AlertResult`): new alert, repeat,
recovery, incident opened or closed. Only new alerts and recoveries are notified; their
facts (title, environment, query, the incident's number and title) are read here in one
query, so that building messages needs no store.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.engine.pipeline import AlertResult, Outcome
from console.models import Alert, Incident

LINK_PREFIX = "incident-console://incident/"
Kind = Literal["triggered", "resolved"]


@dataclass(frozen=True, slots=True)
class Notice:
    """One alert that started or recovered, with what messages about it show."""

    kind: Kind
    alert_iid: int
    title: str
    severity: str
    environment: str
    description: str
    full_query: str
    service: str
    monitoring_tool: str
    hosts: str
    started_at: datetime | None
    ended_at: datetime | None
    incident_iid: int | None
    incident_title: str
    incident_created: bool
    incident_closed: bool

    @property
    def incident_link(self) -> str | None:
        """The link that opens the alert's incident in the console, if it has one."""
        return f"{LINK_PREFIX}{self.incident_iid}" if self.incident_iid is not None else None


def worth_notifying(results: Iterable[AlertResult]) -> list[AlertResult]:
    """The new alerts and recoveries among a batch's results (cheap: no store)."""
    return [
        r
        for r in results
        if r.alert_iid is not None and r.outcome in (Outcome.CREATED, Outcome.RESOLVED)
    ]


def load_notices(session: Session, results: list[AlertResult]) -> list[Notice]:
    """Notices for `results` (new alerts and recoveries), in the order given."""
    iids = sorted({r.alert_iid for r in results if r.alert_iid is not None})
    if not iids:
        return []
    alerts = {a.iid: a for a in session.scalars(select(Alert).where(Alert.iid.in_(iids)))}
    incident_iids = sorted({a.incident_iid for a in alerts.values() if a.incident_iid})
    titles: dict[int, str] = {}
    if incident_iids:
        rows = session.execute(
            select(Incident.iid, Incident.title).where(Incident.iid.in_(incident_iids))
        )
        titles = {int(iid): str(title) for iid, title in rows}
    notices: list[Notice] = []
    for result in results:
        alert = alerts.get(result.alert_iid or 0)
        if alert is None:
            continue
        incident_iid = result.incident_iid or alert.incident_iid
        notices.append(
            Notice(
                kind="resolved" if result.outcome == Outcome.RESOLVED else "triggered",
                alert_iid=alert.iid,
                title=alert.title,
                severity=alert.severity,
                environment=alert.environment or "",
                description=alert.description or "",
                full_query=alert.full_query or "",
                service=alert.service or "",
                monitoring_tool=alert.monitoring_tool or "",
                hosts=alert.hosts or "",
                started_at=alert.started_at,
                ended_at=alert.ended_at,
                incident_iid=incident_iid,
                incident_title=titles.get(incident_iid, "") if incident_iid else "",
                incident_created=result.incident_created,
                incident_closed=result.incident_closed,
            )
        )
    return notices
