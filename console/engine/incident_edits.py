"""Edits people make to an incident: creating one, title, description, notes, severity, labels,
assignees.

Every change but a comment leaves a system note saying who changed what, in the words GitLab
uses, so the incident's timeline tells the whole story. Closing and reopening live in
`console.engine.lifecycle`, because they touch the incident's alerts too. Callers own the
transaction (in the window: one function of a session run on the writer).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.engine.lifecycle import get_incident
from console.models import INCIDENT_LABEL, Incident, IncidentStatus, Note, Severity, utcnow

MAX_TITLE = 255
MAX_TEXT = 1_000_000  # description or note, in characters (GitLab's limit is 1 MiB)
MAX_NAME = 100


def _system_note(session: Session, incident: Incident, body: str, author: str) -> None:
    incident.updated_at = utcnow()
    session.add(
        Note(incident_iid=incident.iid, author=author, body=body, system=True, created_at=utcnow())
    )


def parse_names(text: str, prefix: str) -> list[str]:
    """Comma-separated names, each without its `~` / `@` prefix or quotes, duplicates dropped."""
    names: list[str] = []
    for part in text.split(","):
        name = part.strip().removeprefix(prefix).strip().strip('"').strip()
        if name and name not in names:
            names.append(name)
    return names


def checked_names(names: Iterable[str], what: str) -> list[str]:
    """Label or assignee names, trimmed and deduplicated; AdminError for one that is refused."""
    cleaned: list[str] = []
    for raw in names:
        name = raw.strip()
        if not name:
            continue
        if len(name) > MAX_NAME:
            raise AdminError(f"{what} {name[:20]!r}… is longer than {MAX_NAME} characters")
        if "," in name:
            raise AdminError(f"{what} {name!r} may not contain a comma")
        if name not in cleaned:
            cleaned.append(name)
    return cleaned


def _reference(prefix: str, name: str) -> str:
    """`~bug`, `~"needs review"`, `@alice`: how GitLab writes a label or person in a note."""
    return f'{prefix}"{name}"' if " " in name else f"{prefix}{name}"


def _listed(prefix: str, names: list[str]) -> str:
    return " ".join(_reference(prefix, name) for name in names)


def labels_note(added: list[str], removed: list[str]) -> str:
    """`added ~a ~b labels and removed ~c label`: the system note for a change of labels."""
    parts = []
    if added:
        parts.append(f"added {_listed('~', added)} label{'s' if len(added) > 1 else ''}")
    if removed:
        word = "label" + ("s" if len(removed) > 1 else "")
        parts.append(f"removed {_listed('~', removed)} {word}")
    return " and ".join(parts)


def assignees_note(added: list[str], removed: list[str]) -> str:
    """`assigned to @a and unassigned @b`: the system note for a change of assignees."""
    parts = []
    if added:
        parts.append(f"assigned to {_listed('@', added)}")
    if removed:
        parts.append(f"unassigned {_listed('@', removed)}")
    return " and ".join(parts)


def severity_note(severity: str) -> str:
    """The system note for a change of severity."""
    return f"changed severity to **{severity}**"


def create_incident(session: Session, title: str, description: str, author: str) -> Incident:
    """Open an incident from scratch (severity unknown, labelled `incident`).

    Its number is the next free one; the caller's write transaction (the one writer, or a
    store write) keeps numbering serial.
    """
    title = " ".join(title.split())
    if not title:
        raise AdminError("the title may not be empty")
    if len(title) > MAX_TITLE:
        raise AdminError(f"the title is longer than {MAX_TITLE} characters")
    if len(description) > MAX_TEXT:
        raise AdminError(f"the description is longer than {MAX_TEXT} characters")
    iid = (session.scalar(select(func.max(Incident.iid))) or 0) + 1
    now = utcnow()
    incident = Incident(
        iid=iid,
        title=title,
        description=description,
        status=IncidentStatus.OPEN.value,
        severity=Severity.UNKNOWN.value,
        labels=[INCIDENT_LABEL],
        assignees=[],
        zoom_url=None,
        author=author,
        created_at=now,
        updated_at=now,
    )
    session.add(incident)
    session.flush()
    return incident


def edit_title(session: Session, iid: int, title: str, author: str) -> Incident:
    """Rename an incident."""
    incident = get_incident(session, iid)
    title = " ".join(title.split())
    if not title:
        raise AdminError("the title may not be empty")
    if len(title) > MAX_TITLE:
        raise AdminError(f"the title is longer than {MAX_TITLE} characters")
    if title != incident.title:
        old = incident.title
        incident.title = title
        _system_note(session, incident, f"changed title from **{old}** to **{title}**", author)
    session.flush()
    return incident


def edit_description(session: Session, iid: int, description: str, author: str) -> Incident:
    """Replace an incident's Markdown description."""
    incident = get_incident(session, iid)
    if len(description) > MAX_TEXT:
        raise AdminError(f"the description is longer than {MAX_TEXT} characters")
    if description != incident.description:
        incident.description = description
        _system_note(session, incident, "changed the description", author)
    session.flush()
    return incident


def add_note(session: Session, iid: int, body: str, author: str) -> Note:
    """Comment on an incident (Markdown)."""
    incident = get_incident(session, iid)
    if not body.strip():
        raise AdminError("a note needs some text")
    if len(body) > MAX_TEXT:
        raise AdminError(f"the note is longer than {MAX_TEXT} characters")
    note = Note(
        incident_iid=incident.iid, author=author, body=body, system=False, created_at=utcnow()
    )
    session.add(note)
    incident.updated_at = utcnow()
    session.flush()
    return note


def set_severity(session: Session, iid: int, severity: str, author: str) -> Incident:
    """Change an incident's severity."""
    incident = get_incident(session, iid)
    value = severity.strip().lower()
    names = [s.value for s in Severity]
    if value not in names:
        raise AdminError(f"severity must be one of {', '.join(names)}, not {severity!r}")
    if value != incident.severity:
        incident.severity = value
        _system_note(session, incident, severity_note(value), author)
    session.flush()
    return incident


def name_changes(current: list[str], wanted: list[str]) -> tuple[list[str], list[str]]:
    """The names `wanted` adds to `current`, and those it removes, in their order."""
    return [n for n in wanted if n not in current], [n for n in current if n not in wanted]


def set_labels(session: Session, iid: int, labels: Iterable[str], author: str) -> Incident:
    """Give an incident exactly these labels."""
    return _set_names(session, iid, "labels", checked_names(labels, "label"), author)


def set_assignees(session: Session, iid: int, assignees: Iterable[str], author: str) -> Incident:
    """Give an incident exactly these assignees."""
    return _set_names(session, iid, "assignees", checked_names(assignees, "assignee"), author)


_NAME_NOTES = {"labels": labels_note, "assignees": assignees_note}


def _set_names(
    session: Session,
    iid: int,
    field: Literal["labels", "assignees"],
    wanted: list[str],
    author: str,
) -> Incident:
    """Set an incident's labels or assignees, with the system note saying what changed."""
    incident = get_incident(session, iid)
    added, removed = name_changes(list(getattr(incident, field) or []), wanted)
    if added or removed:
        setattr(incident, field, wanted)
        _system_note(session, incident, _NAME_NOTES[field](added, removed), author)
    session.flush()
    return incident
