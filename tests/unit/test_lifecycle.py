"""Changes by hand: alert status, closing and reopening incidents, and their notes."""

from __future__ import annotations

import pytest

from console.admin import AdminError
from console.engine import lifecycle
from console.models import Alert, Incident
from console.queries import show_alert, show_incident
from tests.conftest import set_settings
from tests.unit.test_pipeline import generic, run


def test_closing_an_incident_resolves_its_alert(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="fp"))
    with store.write() as session:
        lifecycle.close_incident(session, 1, "ana")
    with store.read() as session:
        alert = session.get(Alert, 1)
        assert alert is not None and alert.status == "resolved" and alert.ended_at is not None
        notes = show_alert(session, 1)["notes"]
        assert notes[-1]["body"] == "changed the status to Resolved by closing incident #1"
        assert notes[-1]["author"] == "ana"
        assert show_incident(session, 1)["notes"][-1]["body"] == "closed"


def test_closing_twice_is_refused(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="fp"))
    with store.write() as session:
        lifecycle.close_incident(session, 1, "ana")
    with pytest.raises(AdminError, match="already closed"), store.write() as session:
        lifecycle.close_incident(session, 1, "ana")


def test_any_status_by_hand_with_a_note(store):
    run(store, generic(title="disk", fingerprint="fp"))
    for status in ("acknowledged", "ignored", "triggered", "resolved", "triggered"):
        with store.write() as session:
            lifecycle.set_alert_status(session, 1, status, "bo")
    with store.read() as session:
        bodies = [n["body"] for n in show_alert(session, 1)["notes"]]
    assert bodies[1:] == [
        "changed the status to Acknowledged",
        "changed the status to Ignored",
        "changed the status to Triggered",
        "changed the status to Resolved",
        "changed the status to Triggered",
    ]


def test_reopening_an_alert_whose_fingerprint_is_open_again_is_refused(store):
    run(store, generic(title="disk", fingerprint="fp"))
    run(store, generic(fingerprint="fp", end_time="2026-11-29T12:05:00Z"))
    run(store, generic(title="disk", fingerprint="fp"))
    with pytest.raises(AdminError, match="#2 with the same fingerprint"), store.write() as s:
        lifecycle.set_alert_status(s, 1, "triggered", "bo")


def test_resolving_by_hand_closes_incident_when_auto_close_is_on(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="fp"))
    with store.write() as session:
        lifecycle.set_alert_status(session, 1, "resolved", "bo")
    with store.read() as session:
        incident = session.get(Incident, 1)
        assert incident is not None and incident.status == "closed"


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda s: lifecycle.set_alert_status(s, 99, "resolved", "x"), "no alert #99"),
        (lambda s: lifecycle.set_alert_status(s, 1, "done", "x"), "status must be one of"),
        (lambda s: lifecycle.close_incident(s, 5, "x"), "no incident #5"),
        (lambda s: lifecycle.reopen_incident(s, 5, "x"), "no incident #5"),
    ],
)
def test_bad_targets_are_refused(store, call, message):
    run(store, generic(title="disk", fingerprint="fp"))
    with pytest.raises(AdminError, match=message), store.write() as session:
        call(session)
