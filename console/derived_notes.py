"""The activity of an alert and the timeline of an incident: stored notes, plus the system
notes that are derived from the alert instead of stored.

Every new alert got the note "logged an alert from <source>", and every incident opened
with it "created incident #N for this alert". Storing them cost two rows and four index
entries per alert, written while the ingest write lock is held (for an Alertmanager alert
alone, about a seventh of its write). Since revision 0004 the pipeline records the source
on the alert (`Alert.logged_from`), and the readers here put both notes back: first in
the alert's activity, and first in the timeline of the incident that was opened in the
same commit as the alert (the two share their creation time), before the notes the
incident's template added. An incident made from the alert later stores its own note.
Alerts stored before 0004 have no `logged_from` and keep their stored notes, shown once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from console.models import ALERT_BOT, Alert, Incident, Note

LOGGED = "logged an alert from {}"
CREATED = "created incident #{} for this alert"


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note as readers show it: stored (`id` > 0) or derived (`id` < 0)."""

    id: int
    author: str
    body: str
    system: bool
    created_at: datetime


def derived_notes(
    alert_iid: int, logged_from: str, created_at: datetime, incident_iid: int | None
) -> list[NoteView]:
    """The notes an alert's creation made: "logged ...", and "created incident ..." when
    its incident was opened with it (`incident_iid`, else None)."""
    notes = [NoteView(-2 * alert_iid, ALERT_BOT, LOGGED.format(logged_from), True, created_at)]
    if incident_iid is not None:
        body = CREATED.format(incident_iid)
        notes.append(NoteView(-2 * alert_iid - 1, ALERT_BOT, body, True, created_at))
    return notes


def _stored(notes: Iterable[Note]) -> list[NoteView]:
    return [NoteView(n.id, n.author, n.body, n.system, n.created_at) for n in notes]


def _merged(derived: Sequence[NoteView], stored: Sequence[NoteView]) -> list[NoteView]:
    """Stored notes in their own order, with each derived note before the first stored note
    that is not older than it (it was made first, in the commit that made the alert)."""
    pending = sorted(derived, key=lambda note: note.created_at)  # stable: keeps their order
    merged: list[NoteView] = []
    for note in stored:
        while pending and pending[0].created_at <= note.created_at:
            merged.append(pending.pop(0))
        merged.append(note)
    merged.extend(pending)
    return merged


def alert_notes(session: Session, iid: int, limit: int | None = None) -> list[NoteView]:
    """Alert `iid`'s activity, oldest first (at most `limit` notes)."""
    incident = aliased(Incident)
    found = session.execute(
        select(Alert.logged_from, Alert.created_at, Alert.incident_iid, incident.created_at)
        .outerjoin(incident, incident.iid == Alert.incident_iid)
        .where(Alert.iid == iid)
    ).first()
    derived: list[NoteView] = []
    if found is not None and found[0]:
        logged_from, created_at, incident_iid, incident_created_at = found
        opened_with = incident_iid if incident_created_at == created_at else None
        derived = derived_notes(iid, logged_from, created_at, opened_with)
    query = select(Note).where(Note.alert_iid == iid).order_by(Note.id)
    if limit is not None:
        query = query.limit(limit)
    notes = _merged(derived, _stored(session.scalars(query)))
    return notes if limit is None else notes[:limit]


def incident_notes(session: Session, incident: Incident) -> list[NoteView]:
    """Incident `incident`'s timeline, oldest first."""
    derived = [
        note
        for iid, logged_from, created_at in session.execute(
            select(Alert.iid, Alert.logged_from, Alert.created_at)
            .where(
                Alert.incident_iid == incident.iid,
                Alert.logged_from != "",
                Alert.created_at == incident.created_at,
            )
            .order_by(Alert.iid)
        )
        for note in derived_notes(iid, logged_from, created_at, incident.iid)
    ]
    stored = session.scalars(
        select(Note).where(Note.incident_iid == incident.iid).order_by(Note.id)
    )
    return _merged(derived, _stored(stored))
