"""Incident edits leave GitLab-style system notes; the incident queries read them back."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console import config
from console.admin import AdminError
from console.engine import incident_edits as edits
from console.engine import lifecycle
from console.incident_queries import (
    IncidentFilter,
    count_incidents,
    incident_detail,
    incident_rows,
    incidents_by_iid,
    incidents_version,
    max_incident_iid,
)
from console.models import Alert, Incident, Note, Severity, utcnow


def add_incident(store, iid: int, title: str = "Disk full", **extra) -> None:
    with store.write() as session:
        session.add(
            Incident(
                iid=iid,
                title=title,
                description=extra.pop("description", ""),
                labels=["incident"],
                assignees=[],
                **extra,
            )
        )


def add_alert(store, iid: int, incident_iid: int | None, status: str = "triggered") -> None:
    with store.write() as session:
        session.add(
            Alert(
                iid=iid,
                title=f"alert {iid}",
                status=status,
                severity="high",
                started_at=utcnow(),
                incident_iid=incident_iid,
                fingerprint=f"f{iid}",
            )
        )


def system_notes(store, iid: int) -> list[str]:
    with store.read() as session:
        return list(
            session.scalars(
                select(Note.body).where(Note.incident_iid == iid, Note.system).order_by(Note.id)
            )
        )


def test_title_and_description_edits_are_noted(store):
    add_incident(store, 1)
    with store.write() as s:
        edits.edit_title(s, 1, "  Disk   full on db-1 ", "alice")
        edits.edit_title(s, 1, "Disk full on db-1", "alice")  # unchanged: no note
        edits.edit_description(s, 1, "## What\n\nthe disk", "alice")
        edits.edit_description(s, 1, "## What\n\nthe disk", "alice")
    assert system_notes(store, 1) == [
        "changed title from **Disk full** to **Disk full on db-1**",
        "changed the description",
    ]
    with store.write() as s, pytest.raises(AdminError, match="empty"):
        edits.edit_title(s, 1, "   ", "alice")
    with store.write() as s, pytest.raises(AdminError, match="longer"):
        edits.edit_title(s, 1, "x" * 300, "alice")


def test_note_is_a_comment_not_a_system_note(store):
    add_incident(store, 1)
    with store.write() as s:
        edits.add_note(s, 1, "Looking into it: **db-1**", "bob")
    with store.read() as s:
        detail = incident_detail(s, 1)
    assert [(n.author, n.body, n.system) for n in detail.notes] == [
        ("bob", "Looking into it: **db-1**", False)
    ]
    with store.write() as s, pytest.raises(AdminError, match="needs some text"):
        edits.add_note(s, 1, "  \n ", "bob")
    with store.write() as s, pytest.raises(AdminError, match="no incident #9"):
        edits.add_note(s, 9, "hello", "bob")


def test_severity_is_validated_and_noted(store):
    add_incident(store, 1, severity="critical")
    with store.write() as s:
        edits.set_severity(s, 1, "HIGH", "carol")
        edits.set_severity(s, 1, "high", "carol")
    assert system_notes(store, 1) == ["changed severity to **high**"]
    with store.write() as s, pytest.raises(AdminError, match="severity must be one of"):
        edits.set_severity(s, 1, "urgent", "carol")


def test_labels_added_and_removed(store):
    add_incident(store, 1)
    with store.write() as s:
        edits.set_labels(s, 1, ["incident", "db", "needs review"], "dan")
        edits.set_labels(s, 1, ["db"], "dan")
        edits.set_labels(s, 1, ["db", "db", " "], "dan")  # same set: no note
        edits.set_labels(s, 1, ["network"], "dan")
    assert system_notes(store, 1) == [
        'added ~db ~"needs review" labels',
        'removed ~incident ~"needs review" labels',
        "added ~network label and removed ~db label",
    ]
    with store.write() as s, pytest.raises(AdminError, match="comma"):
        edits.set_labels(s, 1, ["a,b"], "dan")


def test_assignees(store):
    add_incident(store, 1)
    with store.write() as s:
        edits.set_assignees(s, 1, ["alice", "bob"], "dan")
        edits.set_assignees(s, 1, ["bob", "carol"], "dan")
    assert system_notes(store, 1) == [
        "assigned to @alice @bob",
        "assigned to @carol and unassigned @alice",
    ]
    with store.read() as s:
        assert incident_detail(s, 1).assignees == ("bob", "carol")


def test_parse_names_strips_prefixes_and_duplicates():
    assert edits.parse_names('~db, ~"needs review", db,, ', "~") == ["db", "needs review"]
    assert edits.parse_names("@alice, bob", "@") == ["alice", "bob"]


def test_close_through_lifecycle_resolves_alerts_and_shows_in_detail(store):
    add_incident(store, 1)
    add_alert(store, 1, 1)
    add_alert(store, 2, 1, status="acknowledged")
    with store.write() as s:
        lifecycle.close_incident(s, 1, "erin")
    with store.read() as s:
        detail = incident_detail(s, 1)
    assert detail.status == "closed"
    assert [(a.iid, a.status) for a in detail.alerts] == [(1, "resolved"), (2, "resolved")]
    assert [n.body for n in detail.notes if n.system] == ["closed"]


def test_list_filters_search_and_pages(store):
    add_incident(store, 1, "Disk full", severity="critical")
    add_incident(store, 2, "CPU high", severity="high", description="db-7 is hot")
    add_incident(store, 3, "100% packet loss", severity="high", status="closed")
    add_alert(store, 1, 2)
    add_alert(store, 2, 2)
    with store.read() as s:

        def iids(flt: IncidentFilter, **page) -> list[int]:
            return [row.iid for row in incident_rows(s, flt, **page)]

        assert iids(IncidentFilter("open")) == [2, 1]
        assert iids(IncidentFilter("closed")) == [3]
        assert iids(IncidentFilter("all")) == [3, 2, 1]
        assert iids(IncidentFilter("all", severity="high")) == [3, 2]
        assert iids(IncidentFilter("all", search="DB-7")) == [2]
        assert iids(IncidentFilter("all", search="100%")) == [3]
        assert iids(IncidentFilter("all", search="%")) == [3]
        assert iids(IncidentFilter("all", search="#1")) == [1]
        assert iids(IncidentFilter("all"), offset=1, limit=1) == [2]
        assert count_incidents(s, IncidentFilter("all", severity="high")) == 2
        assert incident_rows(s, IncidentFilter("open"))[0].alert_count == 2
        assert [r.iid for r in incidents_by_iid(s, [3, 1, 42])] == [1, 3]
        assert max_incident_iid(s) == 3
        before = incidents_version(s)
    with store.write() as s:
        edits.set_severity(s, 1, "low", "x")
    with store.read() as s:
        assert incidents_version(s) != before


def test_config_severity_names_match_the_model():
    assert tuple(s.value for s in Severity) == config.SEVERITY_NAMES
