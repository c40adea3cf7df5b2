"""The notes an alert's creation makes ("logged an alert from ...", "created incident #N
for this alert"): derived from the alert, shown where they always were.

New alerts store their source (`logged_from`) instead of note rows; the alert's activity,
the incident's timeline, the command line and the detail views show the notes as before.
Alerts stored before revision 0004 keep their stored notes, shown once.
"""

from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, func, select, text

from console.admin import templates as templates_admin
from console.alert_detail_queries import NOTE_LIMIT, load_alert_detail
from console.derived_notes import alert_notes, incident_notes
from console.engine.incident_from_alert import create_incident_for_alert
from console.engine.lifecycle import get_incident
from console.incident_queries import incident_detail
from console.migrations.runner import alembic_config
from console.models import Alert, Note, utcnow
from console.queries import iso, show_alert, show_incident
from console.store import open_store
from tests.conftest import set_settings
from tests.unit.test_pipeline import generic, run


def stored_bodies(store) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(Note.body).order_by(Note.id)))


def test_a_new_alert_stores_no_logged_note_but_shows_it_everywhere(store):
    set_settings(store, create_incident="true")
    [[result]] = run(store, generic(title="Disk full", monitoring_tool="Zabbix", fingerprint="a"))
    assert stored_bodies(store) == []
    expected = ["logged an alert from Zabbix", "created incident #1 for this alert"]
    with store.read() as session:
        assert [n["body"] for n in show_alert(session, 1)["notes"]] == expected
        assert [n["body"] for n in show_incident(session, 1)["notes"]] == expected
        detail = load_alert_detail(session, 1)
        assert detail is not None and [a.body for a in detail.activity] == expected
        assert [n.body for n in incident_detail(session, 1).notes] == expected
        shown = show_alert(session, 1)["notes"][0]
        assert shown["author"] == "Alert Bot" and shown["system"] is True
        alert = session.get(Alert, 1)
        assert alert is not None and shown["created_at"] == iso(alert.created_at)
    assert result.incident_iid == 1


def test_the_creation_notes_come_before_the_templates_quick_actions(store):
    with store.write() as session:
        templates_admin.save(session, "Default", "## Runbook\n/label ~oncall\n/assign @alice")
    set_settings(store, create_incident="true", issue_template="Default")
    run(store, generic(title="CPU hot", fingerprint="cpu"))
    with store.read() as session:
        bodies = [n["body"] for n in show_incident(session, 1)["notes"]]
    assert bodies[:2] == ["logged an alert from monitoring", "created incident #1 for this alert"]
    assert sorted(bodies[2:]) == ["added ~oncall label", "assigned to @alice"]


def test_an_incident_made_later_stores_its_own_note(store):
    run(store, generic(title="Disk full", fingerprint="a"))
    with store.write() as session:
        create_incident_for_alert(session, 1, "steve")
    with store.read() as session:
        incident = get_incident(session, 1)
        assert [n.body for n in incident_notes(session, incident)] == [
            "created incident #1 for this alert"
        ]
        assert [n.body for n in alert_notes(session, 1)] == [
            "logged an alert from monitoring",
            "created incident #1 for this alert",
        ]


def test_later_notes_follow_the_logged_note_and_the_limit_counts_it(store):
    run(store, generic(title="Flapping", fingerprint="f"))
    with store.write() as session:
        for n in range(NOTE_LIMIT + 5):
            session.add(Note(alert_iid=1, author="tester", body=f"note {n}", created_at=utcnow()))
    with store.read() as session:
        every = [n.body for n in alert_notes(session, 1)]
        assert every[:3] == ["logged an alert from monitoring", "note 0", "note 1"]
        assert len(every) == NOTE_LIMIT + 6
        detail = load_alert_detail(session, 1)
        assert detail is not None
        activity = [a.body for a in detail.activity]
        assert len(activity) == NOTE_LIMIT
        assert activity[:2] == ["logged an alert from monitoring", "note 0"]


def test_a_store_from_before_0004_keeps_its_stored_notes_once(tmp_path):
    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = create_engine(url)
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "0003")
        conn.execute(
            text(
                "INSERT INTO alerts (iid, fingerprint, title, description, status, severity,"
                " service, monitoring_tool, hosts, environment, runbook, full_query,"
                " source_key, details, events, started_at, created_at, last_seen_at,"
                " updated_at) VALUES (1, 'fp', 'Old alert', '', 'triggered', 'high', '',"
                " 'Nagios', '', '', '', '', '', '{}', 1, '2026-11-01 10:00:00.000000',"
                " '2026-11-01 10:00:00.000000', '2026-11-01 10:00:00.000000',"
                " '2026-11-01 10:00:00.000000')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO notes (alert_iid, author, body, system, created_at) VALUES"
                " (1, 'Alert Bot', 'logged an alert from Nagios', 1,"
                " '2026-11-01 10:00:00.000000')"
            )
        )
    engine.dispose()
    store = open_store(url)  # upgrades to head
    try:
        run(store, generic(title="New alert", fingerprint="new"))
        with store.read() as session:
            assert [n["body"] for n in show_alert(session, 1)["notes"]] == [
                "logged an alert from Nagios"
            ]
            assert [n["body"] for n in show_alert(session, 2)["notes"]] == [
                "logged an alert from monitoring"
            ]
            assert session.scalar(select(func.count()).select_from(Note)) == 1
    finally:
        store.dispose()


def test_a_trigger_and_its_recovery_in_one_commit_keep_their_order(store):
    set_settings(store, create_incident="true", auto_close_incident="true")
    run(
        store,
        generic(title="Blip", fingerprint="blip"),
        generic(title="Blip", fingerprint="blip", end_time="2026-11-29T10:20:00Z"),
    )
    with store.read() as session:
        assert [n["body"] for n in show_incident(session, 1)["notes"]] == [
            "logged an alert from monitoring",
            "created incident #1 for this alert",
            "logged a recovery alert from monitoring",
            "changed the status to Resolved",
            "closed this incident because the alert resolved",
        ]
        assert [n["body"] for n in show_alert(session, 1)["notes"]] == [
            "logged an alert from monitoring",
            "created incident #1 for this alert",
            "logged a recovery alert from monitoring",
            "changed the status to Resolved",
        ]
