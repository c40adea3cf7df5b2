"""Creating an incident for an alert by hand."""

from __future__ import annotations

import pytest

from console.admin import AdminError
from console.admin import templates as templates_admin
from console.alert_detail_queries import format_payload, load_alert_detail
from console.engine.incident_from_alert import create_incident_for_alert
from console.models import Alert
from console.queries import show_alert, show_incident
from tests.conftest import set_settings
from tests.unit.test_pipeline import fixture, generic, run


def test_creates_an_incident_like_auto_creation_does(store):
    with store.write() as session:
        templates_admin.save(session, "Postmortem", "## Timeline")
    set_settings(store, issue_template="Postmortem")
    run(store, fixture("generic-alert.json"))
    with store.write() as session:
        incident = create_incident_for_alert(session, 1, "ana")
        assert incident.iid == 1
    with store.read() as session:
        shown = show_incident(session, 1)
        alert = session.get(Alert, 1)
        assert alert is not None and alert.incident_iid == 1
        notes = show_alert(session, 1)["notes"]
    assert shown["title"] == "Checkout latency above 2s"
    assert shown["labels"] == ["incident"] and shown["severity"] == "high"
    assert shown["alert_iids"] == [1]
    assert "#### Summary" in shown["description"]
    assert "**Service:** checkout" in shown["description"]
    assert "**custom.region:** eu-west-1" in shown["description"]
    assert shown["description"].endswith("## Timeline")
    assert notes[-1]["body"] == "created incident #1 for this alert"
    assert notes[-1]["author"] == "ana"
    assert shown["notes"][-1]["body"] == "created incident #1 for this alert"


def test_default_title_becomes_the_incident_number(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="a"))  # incident #1, automatically
    set_settings(store, create_incident="false")
    run(store, generic(fingerprint="b"))  # "New: Alert", no incident
    with store.write() as session:
        incident = create_incident_for_alert(session, 2, "bo")
        assert (incident.iid, incident.title) == (2, "New: Incident 2")


def test_an_alert_with_an_incident_is_refused(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="a"))
    with pytest.raises(AdminError, match="already has incident #1"), store.write() as session:
        create_incident_for_alert(session, 1, "bo")
    with pytest.raises(AdminError, match="no alert #7"), store.write() as session:
        create_incident_for_alert(session, 7, "bo")


def test_alert_detail_reads_fields_payload_events_and_activity(store):
    run(store, fixture("generic-alert.json"))
    run(store, generic(fingerprint="checkout-latency", title="again"))
    with store.read() as session:
        detail = load_alert_detail(session, 1)
        assert load_alert_detail(session, 2) is None
    assert detail is not None
    assert detail.alert.service == "checkout" and detail.incident is None
    assert '"p95_ms": 2310' in detail.payload
    assert [e.kind for e in detail.events] == ["repeat", "trigger"]
    assert detail.events_total == 2
    assert [a.body for a in detail.activity] == ["logged an alert from Grafana"]


def test_payloads_are_indented_json_or_left_as_they_are():
    assert format_payload('{"a":[1,2]}') == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert format_payload("not json") == "not json"
