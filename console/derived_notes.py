"""The activity of an alert and the timeline of an incident: stored notes, plus the one
system note that is derived from the alert instead of stored.

Every new alert gets the note "logged an alert from <source>". Storing it cost a row and
two index entries per alert, written while the ingest write lock is held (about a seventh
of an Alertmanager alert's write). Since revision 0004 the pipeline records the source on
the alert (`Alert.logged_from`) and the readers here put the note back where it always
was: first in the alert's activity, and first in the timeline of the incident that was
opened with the alert. Alerts stored before 0004 have no `logged_from` and keep their
stored note, so nothing shows twice.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import ALERT_BOT, Alert, Incident, Note

LOGGED = "logged an alert from {}"


@dataclass(frozen=True, slots=True)
class NoteView:
    """A note as readers show it, stored (`id` > 0) or derived (`id` = -alert iid)."""

    id: int
    author: str
    body: str
    system: bool
    created_at: datetime


def logged_note(alert_iid: int, logged_from: str, created_at: datetime) -> NoteView:
    """The derived "logged an alert from ..." note of an alert."""
    return NoteView(-alert_iid, ALERT_BOT, LOGGED.format(logged_from), True, created_at)


def _stored(notes: Iterable[Note]) -> list[NoteView]:
    return [NoteView(n.id, n.author, n.body, n.system, n.created_at) for n in notes]


def _merged(derived: Sequence[NoteView], stored: Sequence[NoteView]) -> list[NoteView]:
    """Stored notes in their own order, each derived note before the first stored note that
    is not older than it (the note was written first, in the same commit as the alert)."""
    pending = sorted(derived, key=lambda note: (note.created_at, -note.id))
    merged: list[NoteView] = []
    for note in stored:
        while pending and pending[0].created_at <= note.created_at:
            merged.append(pending.pop(0))
        merged.append(note)
    merged.extend(pending)
    return merged


def alert_notes(session: Session, iid: int, limit: int | None = None) -> list[NoteView]:
    """Alert `iid`'s activity, oldest first (at most `limit` notes)."""
    found = session.execute(
        select(Alert.logged_from, Alert.created_at).where(Alert.iid == iid)
    ).first()
    derived = [logged_note(iid, found[0], found[1])] if found is not None and found[0] else []
    query = select(Note).where(Note.alert_iid == iid).order_by(Note.id)
    if limit is not None:
        query = query.limit(limit)
    notes = _merged(derived, _stored(session.scalars(query)))
    return notes if limit is None else notes[:limit]


def incident_notes(session: Session, incident: Incident) -> list[NoteView]:
    """Incident `incident`'s timeline, oldest first.

    An alert's "logged" note belonged to the incident opened in the same commit as the alert
    (they share their creation time); an alert linked to an incident later logged nothing
    on that incident.
    """
    derived = [
        logged_note(iid, logged_from, created_at)
        for iid, logged_from, created_at in session.execute(
            select(Alert.iid, Alert.logged_from, Alert.created_at)
            .where(
                Alert.incident_iid == incident.iid,
                Alert.logged_from != "",
                Alert.created_at == incident.created_at,
            )
            .order_by(Alert.iid)
        )
    ]
    stored = session.scalars(
        select(Note).where(Note.incident_iid == incident.iid).order_by(Note.id)
    )
    return _merged(derived, _stored(stored))
