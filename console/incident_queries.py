"""Read-side queries for the incident views and the wall display, as plain data.

The incident list reads pages (offset and limit) under a filter, so it costs what the screen
shows; the incident view reads one incident with its linked alerts and notes; the wall reads
open-alert counts, the most urgent open alerts and the alert rate. Nothing here writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session

from console.derived_notes import incident_notes
from console.engine.lifecycle import get_incident
from console.models import (
    OPEN_STATUSES,
    Alert,
    AlertStatus,
    Incident,
    IncidentStatus,
    Severity,
)

INCIDENT_STATES = ("open", "closed", "all")


@dataclass(frozen=True, slots=True)
class IncidentFilter:
    """What the incident list shows: a state, optionally one severity, and search text."""

    state: str = "open"
    severity: str | None = None
    search: str = ""


@dataclass(frozen=True, slots=True)
class IncidentRow:
    """One line of the incident list."""

    iid: int
    title: str
    status: str
    severity: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    alert_count: int
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class LinkedAlert:
    """An alert linked to an incident."""

    iid: int
    title: str
    status: str
    severity: str
    started_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class NoteRow:
    """A comment (`system` False) or a system note on an incident."""

    id: int
    author: str
    body: str
    system: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class IncidentDetail:
    """Everything the incident view shows."""

    iid: int
    title: str
    description: str
    status: str
    severity: str
    labels: tuple[str, ...]
    assignees: tuple[str, ...]
    zoom_url: str | None
    author: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None
    alerts: tuple[LinkedAlert, ...]
    notes: tuple[NoteRow, ...]

    @property
    def reference(self) -> datetime | None:
        """The moment relative chart ranges refer to: the start of its first alert, if any."""
        starts = [a.started_at for a in self.alerts if a.started_at is not None]
        return min(starts) if starts else None


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _filtered(query: Select[Any], flt: IncidentFilter) -> Select[Any]:
    if flt.state in ("open", "closed"):
        query = query.where(Incident.status == flt.state)
    if flt.severity:
        query = query.where(Incident.severity == flt.severity)
    words = flt.search.strip()
    if words:
        pattern = _like(words)
        matches: list[ColumnElement[bool]] = [
            Incident.title.ilike(pattern, escape="\\"),
            Incident.description.ilike(pattern, escape="\\"),
        ]
        number = words.removeprefix("#")
        if number.isdigit():
            matches.append(Incident.iid == int(number))
        query = query.where(or_(*matches))
    return query


def count_incidents(session: Session, flt: IncidentFilter) -> int:
    """How many incidents the filter shows."""
    return session.scalar(_filtered(select(func.count(Incident.iid)), flt)) or 0


def _alert_counts(session: Session, iids: list[int]) -> dict[int, int]:
    if not iids:
        return {}
    rows = session.execute(
        select(Alert.incident_iid, func.count(Alert.iid))
        .where(Alert.incident_iid.in_(iids))
        .group_by(Alert.incident_iid)
    )
    return {int(iid): int(count) for iid, count in rows if iid is not None}


def _rows(session: Session, incidents: list[Incident]) -> list[IncidentRow]:
    counts = _alert_counts(session, [i.iid for i in incidents])
    return [
        IncidentRow(
            iid=i.iid,
            title=i.title,
            status=i.status,
            severity=i.severity,
            labels=tuple(i.labels or ()),
            assignees=tuple(i.assignees or ()),
            alert_count=counts.get(i.iid, 0),
            created_at=i.created_at,
            updated_at=i.updated_at,
        )
        for i in incidents
    ]


def incident_rows(
    session: Session, flt: IncidentFilter, offset: int = 0, limit: int = 100
) -> list[IncidentRow]:
    """One page of the filtered incidents, newest first."""
    query = _filtered(select(Incident), flt).order_by(Incident.iid.desc())
    return _rows(session, list(session.scalars(query.offset(offset).limit(limit))))


def incidents_version(session: Session) -> tuple[int, int, str]:
    """A cheap fingerprint of the incidents table: it changes when any incident does.

    Changes made by another process (the command line, another console on a shared store)
    raise no signal here, so views compare this now and then.
    """
    count, highest, latest = session.execute(
        select(func.count(Incident.iid), func.max(Incident.iid), func.max(Incident.updated_at))
    ).one()
    return int(count or 0), int(highest or 0), str(latest)


def max_incident_iid(session: Session) -> int:
    """The newest incident's number (0 when there is none)."""
    return int(session.scalar(select(func.max(Incident.iid))) or 0)


def incidents_by_iid(session: Session, iids: list[int]) -> list[IncidentRow]:
    """The incidents among `iids`, oldest first (for notifications)."""
    if not iids:
        return []
    query = select(Incident).where(Incident.iid.in_(iids)).order_by(Incident.iid)
    return _rows(session, list(session.scalars(query)))


def incident_detail(session: Session, iid: int) -> IncidentDetail:
    """Incident `iid` with its linked alerts and notes (oldest first); AdminError if none."""
    incident = get_incident(session, iid)
    alerts = session.execute(
        select(Alert.iid, Alert.title, Alert.status, Alert.severity, Alert.started_at)
        .where(Alert.incident_iid == iid)
        .order_by(Alert.iid)
    )
    notes = incident_notes(session, incident)
    return IncidentDetail(
        iid=incident.iid,
        title=incident.title,
        description=incident.description or "",
        status=incident.status,
        severity=incident.severity,
        labels=tuple(incident.labels or ()),
        assignees=tuple(incident.assignees or ()),
        zoom_url=incident.zoom_url,
        author=incident.author,
        created_at=incident.created_at,
        updated_at=incident.updated_at,
        closed_at=incident.closed_at,
        alerts=tuple(LinkedAlert(*row) for row in alerts),
        notes=tuple(NoteRow(n.id, n.author, n.body, n.system, n.created_at) for n in notes),
    )


# ---- the wall display ---------------------------------------------------------------------

_OPEN = [status.value for status in OPEN_STATUSES]
_RANK = case(
    {s.value: n for n, s in enumerate(Severity)}, value=Alert.severity, else_=len(Severity)
)


@dataclass(frozen=True, slots=True)
class OpenCounts:
    """Open alerts per severity, and how many of them nobody has acknowledged."""

    by_severity: dict[str, int]
    unacknowledged: int

    @property
    def total(self) -> int:
        return sum(self.by_severity.values())


@dataclass(frozen=True, slots=True)
class WallAlert:
    """An open alert as the wall lists it."""

    iid: int
    title: str
    status: str
    severity: str
    service: str
    hosts: str
    started_at: datetime


def open_alert_counts(session: Session) -> OpenCounts:
    """Counts of open (triggered or acknowledged) alerts."""
    by_severity = {s.value: 0 for s in Severity}
    unacknowledged = 0
    rows = session.execute(
        select(Alert.severity, Alert.status, func.count(Alert.iid))
        .where(Alert.status.in_(_OPEN))
        .group_by(Alert.severity, Alert.status)
    )
    for severity, status, count in rows:
        key = severity if severity in by_severity else Severity.UNKNOWN.value
        by_severity[key] += int(count)
        if status == AlertStatus.TRIGGERED.value:
            unacknowledged += int(count)
    return OpenCounts(by_severity, unacknowledged)


def most_urgent_open_alerts(session: Session, limit: int = 40) -> list[WallAlert]:
    """Open alerts, most severe first, unacknowledged before acknowledged, newest first."""
    unacked_first = case((Alert.status == AlertStatus.TRIGGERED.value, 0), else_=1)
    rows = session.execute(
        select(
            Alert.iid,
            Alert.title,
            Alert.status,
            Alert.severity,
            Alert.service,
            Alert.hosts,
            Alert.started_at,
        )
        .where(Alert.status.in_(_OPEN))
        .order_by(_RANK, unacked_first, Alert.iid.desc())
        .limit(limit)
    )
    return [WallAlert(*row) for row in rows]


def _created_at_or_after(session: Session, iid: int) -> tuple[int, datetime] | None:
    row = session.execute(
        select(Alert.iid, Alert.created_at).where(Alert.iid >= iid).order_by(Alert.iid).limit(1)
    ).first()
    return None if row is None else (int(row[0]), row[1])


def first_alert_since(session: Session, moment: datetime) -> int | None:
    """The lowest alert number created at or after `moment`, found by bisection.

    Alert numbers are handed out in commit order by the one writer, so `created_at` never
    decreases as the number grows; bisecting over the primary key finds the boundary in a
    few point lookups where a filter on `created_at` (not indexed) would scan every alert.
    """
    low = session.scalar(select(func.min(Alert.iid)))
    high = session.scalar(select(func.max(Alert.iid)))
    if low is None or high is None:
        return None
    found: int | None = None
    while low <= high:
        middle = (low + high) // 2
        probe = _created_at_or_after(session, middle)
        if probe is None:
            break
        iid, created = probe
        if created >= moment:
            found, high = iid, middle - 1
        else:
            low = iid + 1
    return found


def alert_rate(session: Session, now: datetime, minutes: int = 60) -> list[int]:
    """Alerts created in each of the last `minutes` minutes, oldest minute first."""
    start = now - timedelta(minutes=minutes)
    counts = [0] * minutes
    first = first_alert_since(session, start)
    if first is None:
        return counts
    created = session.scalars(select(Alert.created_at).where(Alert.iid >= first))
    for moment in created:
        slot = int((moment - start).total_seconds() // 60)
        if 0 <= slot < minutes:
            counts[slot] += 1
    return counts


@dataclass(frozen=True, slots=True)
class ActiveZoom:
    """The meeting of the newest open incident that has one (the wall's Join Zoom)."""

    iid: int
    title: str
    url: str


def active_zoom(session: Session) -> ActiveZoom | None:
    """The newest open incident's Zoom meeting, or None when no open incident has one."""
    row = session.execute(
        select(Incident.iid, Incident.title, Incident.zoom_url)
        .where(Incident.status == IncidentStatus.OPEN.value, Incident.zoom_url.is_not(None))
        .order_by(Incident.iid.desc())
        .limit(1)
    ).first()
    if row is None or not row[2]:
        return None
    return ActiveZoom(row[0], row[1], row[2])
