"""Quick actions in notes, descriptions and templates: parsing, all-or-nothing, system notes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from console.admin import AdminError
from console.admin import templates as templates_admin
from console.engine import quick_actions as qa
from console.engine.pipeline import Source, Submission, process_batch
from console.engine.template_actions import template_actions
from console.ingest.generic import parse_generic
from console.models import Alert, Incident, Note, utcnow
from tests.conftest import run_cli, set_settings


def add_incident(store, iid: int = 1, **extra) -> None:
    with store.write() as session:
        session.add(
            Incident(
                iid=iid,
                title="Disk full",
                labels=extra.pop("labels", ["incident"]),
                assignees=extra.pop("assignees", []),
                **extra,
            )
        )


def add_alert(store, iid: int, incident_iid: int, status: str = "triggered") -> None:
    with store.write() as session:
        session.add(
            Alert(
                iid=iid,
                title=f"alert {iid}",
                status=status,
                started_at=utcnow(),
                incident_iid=incident_iid,
                fingerprint=f"f{iid}",
            )
        )


def incident(store, iid: int = 1) -> Incident:
    with store.read() as session:
        return session.get(Incident, iid)


def notes(store, iid: int = 1, system: bool | None = None) -> list[str]:
    query = select(Note.body).where(Note.incident_iid == iid).order_by(Note.id)
    if system is not None:
        query = query.where(Note.system == system)
    with store.read() as session:
        return list(session.scalars(query))


# ---- parsing ----------------------------------------------------------------------------------


def test_extract_removes_action_lines_and_keeps_unknown_words():
    text = 'Investigating.\n/close\n/label ~db ~"needs review"\n/shrug not an action\nDone.'
    extracted = qa.extract(text)
    assert extracted.text == "Investigating.\n/shrug not an action\nDone."
    assert extracted.actions == (
        qa.QuickAction("close", ""),
        qa.QuickAction("label", '~db ~"needs review"'),
    )


def test_actions_in_code_blocks_and_mid_line_stay_text():
    text = "```\n/close\n```\nsee /close below\n  /close\n> /close\n/CLOSE"
    extracted = qa.extract(text)
    assert extracted.actions == (qa.QuickAction("close", ""),)
    assert extracted.text == "```\n/close\n```\nsee /close below\n  /close\n> /close"


def test_text_without_a_slash_line_is_untouched():
    text = "no actions here / at all\n"
    assert qa.might_contain_actions(text) is False
    assert qa.extract(text) == qa.Extracted(text, ())


@pytest.mark.parametrize(
    ("argument", "names"),
    [
        ("~db", ["db"]),
        ('~db ~"needs review", ~p1', ["db", "needs review", "p1"]),
        ("db ops", ["db", "ops"]),
    ],
)
def test_label_parsing(argument, names):
    assert qa.parse_labels(argument) == names


@pytest.mark.parametrize(
    ("lines", "fragment"),
    [
        ("/zoom http://zoom.us/j/1", "https://"),
        ("/zoom https://zoom.us.evil.com/j/1", "zoom.us"),
        ("/zoom", "needs an argument"),
        ("/severity urgent", "severity must be one of"),
        ("/label", "needs an argument"),
        ('/label ~"unclosed', "cannot read"),
        ("/assign", "needs an argument"),
        ("/close now", "takes no argument"),
        ("/label ~" + "x" * 101, "longer than"),
    ],
)
def test_invalid_arguments_are_refused(lines, fragment):
    with pytest.raises(qa.QuickActionError, match=fragment):
        qa.validate(qa.extract(lines).actions)


# ---- applying on an incident ------------------------------------------------------------------


def test_note_runs_every_action_with_system_notes(store):
    add_incident(store, assignees=["carol"])
    add_alert(store, 1, 1)
    add_alert(store, 2, 1, status="acknowledged")
    body = (
        "Paging the DB team.\n"
        "/zoom https://zoom.us/j/123\n"
        '/label ~db ~"needs review"\n'
        "/label ~p1\n"
        "/unlabel ~incident\n"
        "/assign @alice bob\n"
        "/severity S2\n"
        "/ack"
    )
    with store.write() as session:
        done = qa.apply_to_note(session, 1, body, "steve")
    assert done.text == "Paging the DB team."
    assert done.note_id is not None
    shown = incident(store)
    assert shown.zoom_url == "https://zoom.us/j/123"
    assert shown.labels == ["db", "needs review", "p1"]
    assert shown.assignees == ["carol", "alice", "bob"]
    assert shown.severity == "high"
    with store.read() as session:
        assert session.get(Alert, 1).status == "acknowledged"
    assert notes(store, system=False) == ["Paging the DB team."]
    assert notes(store, system=True) == [
        "added a Zoom call to this issue",
        'added ~db ~"needs review" ~p1 labels and removed ~incident label',
        "assigned to @alice @bob",
        "changed severity to **high**",
        "changed the status to Acknowledged",
    ]
    assert "Zoom meeting added." in done.messages
    assert "Acknowledged alert #1." in done.messages


def test_one_invalid_action_changes_nothing(store):
    add_incident(store)
    body = "Closing.\n/close\n/label ~db\n/zoom http://zoom.us/j/1\n/severity nope"
    with pytest.raises(qa.QuickActionError) as refused, store.write() as session:
        qa.apply_to_note(session, 1, body, "steve")
    message = str(refused.value)
    assert "https://" in message and "severity" in message  # every problem is named
    shown = incident(store)
    assert shown.status == "open" and shown.labels == ["incident"] and shown.zoom_url is None
    assert notes(store) == []


def test_close_reopen_and_remove_zoom(store):
    add_incident(store, zoom_url="https://zoom.us/j/1")
    add_alert(store, 1, 1)
    with store.write() as session:
        done = qa.apply_to_note(session, 1, "/remove_zoom\n/close", "steve")
    assert done.note_id is None  # only actions: no comment is stored
    shown = incident(store)
    assert shown.status == "closed" and shown.zoom_url is None
    with store.write() as session:
        again = qa.apply_to_note(session, 1, "/close\n/remove_zoom", "steve")
    assert again.messages == (
        "Incident #1 is already closed.",
        "There is no Zoom meeting to remove.",
    )
    with store.write() as session:
        qa.apply_to_note(session, 1, "/reopen", "steve")
    assert incident(store).status == "open"
    assert notes(store, system=True) == [
        "removed a Zoom call from this issue",
        "closed",
        "reopened",
    ]


def test_unassign_without_names_removes_everyone(store):
    add_incident(store, assignees=["alice", "bob"])
    with store.write() as session:
        qa.apply_to_note(session, 1, "/unassign", "steve")
    assert incident(store).assignees == []


def test_empty_note_is_refused(store):
    add_incident(store)
    with pytest.raises(AdminError, match="needs some text"), store.write() as session:
        qa.apply_to_note(session, 1, "  \n", "steve")


def test_description_with_actions(store):
    add_incident(store)
    with store.write() as session:
        done = qa.apply_to_description(session, 1, "## Impact\nCheckout\n/severity low", "me")
    assert done.text == "## Impact\nCheckout"
    shown = incident(store)
    assert shown.description == "## Impact\nCheckout"
    assert shown.severity == "low"


def test_create_incident_from_text(store):
    with store.write() as session:
        done = qa.create_incident_from_text(
            session, "  Checkout   down ", "Customers see 500s\n/label ~checkout", "steve"
        )
    assert done.iid == 1
    shown = incident(store)
    assert shown.title == "Checkout down"
    assert shown.description == "Customers see 500s"
    assert shown.labels == ["incident", "checkout"]
    assert shown.severity == "unknown"


# ---- templates of incidents opened by alerts --------------------------------------------------


def test_template_without_actions_is_not_parsed():
    assert template_actions("## Runbook\nsee wiki / docs") is None


def test_template_actions_apply_to_incidents_from_alerts(store):
    template = (
        "## Runbook\nRestart it.\n/label ~oncall\n/assign @alice\n/severity s4\n"
        "/zoom https://zoom.us/j/42\n/close\n/zoom http://bad\n/frobnicate stays"
    )
    with store.write() as session:
        templates_admin.save(session, "Default", template)
    set_settings(store, create_incident="true", issue_template="Default")
    alert = parse_generic({"title": "CPU hot", "severity": "critical"}, mapping={}, now=utcnow())
    with store.write_engine.begin() as conn:
        [[result]] = process_batch(conn, [Submission(Source(None, "test"), [alert])])
    shown = incident(store, result.incident_iid)
    assert shown.labels == ["incident", "oncall"]
    assert shown.assignees == ["alice"]
    assert shown.severity == "low"
    assert shown.zoom_url == "https://zoom.us/j/42"
    assert shown.status == "open"
    assert shown.description.endswith("## Runbook\nRestart it.\n/frobnicate stays")
    system = notes(store, result.incident_iid, system=True)
    assert "added ~oncall label" in system
    assert "assigned to @alice" in system
    assert "changed severity to **low**" in system
    assert "added a Zoom call to this issue" in system
    assert any("skipped `/close`" in n for n in system)
    assert any("skipped `/zoom http://bad`" in n and "https://" in n for n in system)


# ---- command line -----------------------------------------------------------------------------


def test_cli_note_runs_quick_actions(store, db_url):
    add_incident(store)
    done = run_cli(
        "incidents",
        "note",
        "1",
        "On it\n/label ~db\n/zoom https://zoom.us/j/9",
        "--json",
        db_url=db_url,
    )
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["note"] == "On it"
    assert result["actions"] == ["Added ~db.", "Zoom meeting added."]
    shown = run_cli("incidents", "show", "1", "--json", db_url=db_url)
    assert json.loads(shown.stdout)["zoom_url"] == "https://zoom.us/j/9"


def test_cli_refused_action_exits_non_zero_and_changes_nothing(store, db_url):
    add_incident(store)
    done = run_cli(
        "incidents", "note", "1", "Closing\n/close\n/zoom http://zoom.us/j/1", db_url=db_url
    )
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "https://" in done.stderr
    assert incident(store).status == "open"
    assert notes(store) == []
