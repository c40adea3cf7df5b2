"""The pipeline's rules: dedup, repeats, recovery, incidents from alerts, auto-close, notes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import orjson
import pytest
from sqlalchemy import select

from console.admin import templates as templates_admin
from console.engine import describe
from console.engine.pipeline import Outcome, Source, Submission, prepare, process_batch
from console.ingest import parse_body
from console.models import Alert, AlertEvent, Incident, Note
from console.queries import show_incident
from tests.conftest import FORMATS, set_settings

SOURCE = Source(None, "monitoring")
NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def generic(**fields: object) -> Submission:
    import orjson

    _shape, alerts = parse_body(orjson.dumps(fields), now=NOW)
    return Submission(SOURCE, alerts)


def fixture(name: str) -> Submission:
    _shape, alerts = parse_body((FORMATS / name).read_bytes(), now=NOW)
    return Submission(SOURCE, alerts)


def run(store, *subs: Submission):
    with store.write_engine.begin() as conn:
        return process_batch(conn, list(subs))


def alerts(store) -> list[Alert]:
    with store.read() as session:
        return list(session.scalars(select(Alert).order_by(Alert.iid)))


def notes_of_incident(store, iid: int) -> list[str]:
    with store.read() as session:
        return [n["body"] for n in show_incident(session, iid)["notes"]]


def test_repeat_of_open_alert_counts_an_event_and_nothing_else(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="disk", fingerprint="fp"))
    [[result]] = run(store, generic(title="disk again", fingerprint="fp"))
    assert result.outcome == Outcome.REPEATED
    [alert] = alerts(store)
    assert alert.events == 2 and alert.title == "disk"
    with store.read() as session:
        assert session.query(Incident).count() == 1
        assert session.query(AlertEvent).count() == 2


def test_repeat_of_resolved_alert_opens_a_new_one(store):
    run(store, generic(title="disk", fingerprint="fp"))
    run(store, generic(title="disk", fingerprint="fp", end_time="2026-11-29T12:05:00Z"))
    [[result]] = run(store, generic(title="disk", fingerprint="fp"))
    assert result.outcome == Outcome.CREATED and result.alert_iid == 2
    assert [a.status for a in alerts(store)] == ["resolved", "triggered"]


def test_recovery_resolves_and_keeps_its_end_time(store):
    run(store, generic(title="disk", fingerprint="fp"))
    [[result]] = run(store, generic(fingerprint="fp", end_time="2026-11-29T12:05:00Z"))
    assert result.outcome == Outcome.RESOLVED
    [alert] = alerts(store)
    assert alert.status == "resolved"
    assert alert.ended_at == datetime(2026, 11, 29, 12, 5, tzinfo=UTC)


def test_recovery_with_nothing_open(store):
    [[result]] = run(store, generic(fingerprint="fp", end_time="2026-11-29T12:05:00Z"))
    assert result.outcome == Outcome.NO_OPEN_ALERT and result.alert_iid is None
    assert alerts(store) == []


def test_no_incident_unless_the_setting_is_on(store):
    [[result]] = run(store, generic(title="disk"))
    assert result.incident_iid is None
    with store.read() as session:
        assert session.query(Incident).count() == 0


def test_incident_from_alert_with_summary_details_and_template(store):
    with store.write() as session:
        templates_admin.save(session, "Postmortem", "## Timeline\n\n- [ ] page on-call")
    set_settings(store, create_incident="true", issue_template="Postmortem")
    [[result]] = run(store, fixture("generic-alert.json"))
    with store.read() as session:
        incident = show_incident(session, result.incident_iid)
    assert incident["title"] == "Checkout latency above 2s"
    assert incident["labels"] == ["incident"]
    assert incident["severity"] == "high"
    assert incident["alert_iids"] == [1]
    summary, template = incident["description"].split("\n\n---\n\n")
    assert summary.startswith("#### Summary")
    assert "**Start time:** 29 November 2026, 10:15AM (UTC)" in summary
    assert "**Hosts:** web-1 web-2" in summary
    assert "#### Alert Details" in summary and "**custom.region:** eu-west-1" in summary
    assert template == "## Timeline\n\n- [ ] page on-call"
    assert [n["body"] for n in incident["notes"]] == [
        "logged an alert from Grafana",
        "created incident #1 for this alert",
    ]


def test_default_title_becomes_new_incident_n(store):
    set_settings(store, create_incident="true")
    run(store, generic(title="first", fingerprint="a"))
    [[result]] = run(store, generic(description="no title here"))
    with store.read() as session:
        incident = session.get(Incident, result.incident_iid)
        assert incident is not None
        assert incident.title == "New: Incident 2"
    assert alerts(store)[1].title == "New: Alert"


def test_recovery_closes_incident_when_auto_close_is_on(store):
    set_settings(store, create_incident="true")
    run(store, fixture("alertmanager-v4-firing.json"))
    [[result]] = run(store, fixture("alertmanager-v4-resolved.json"))
    assert result.incident_closed
    assert notes_of_incident(store, 1)[-3:] == [
        "logged a recovery alert from Prometheus",
        "changed the status to Resolved",
        "closed this incident because the alert resolved",
    ]
    with store.read() as session:
        incident = session.get(Incident, 1)
        assert incident is not None and incident.status == "closed"


def test_recovery_leaves_incident_open_when_auto_close_is_off(store):
    set_settings(store, create_incident="true", auto_close_incident="false")
    run(store, fixture("alertmanager-v4-firing.json"))
    run(store, fixture("alertmanager-v4-resolved.json"))
    with store.read() as session:
        incident = session.get(Incident, 1)
        assert incident is not None and incident.status == "open"


def test_one_batch_behaves_like_sequential_commits(store):
    set_settings(store, create_incident="true")
    results = run(
        store,
        generic(title="a", fingerprint="fp"),
        generic(title="a", fingerprint="fp"),
        generic(fingerprint="fp", end_time="2026-11-29T12:05:00Z"),
        generic(title="a", fingerprint="fp"),
    )
    assert [r[0].outcome for r in results] == ["created", "repeated", "resolved", "created"]
    stored = alerts(store)
    assert [(a.iid, a.status, a.events) for a in stored] == [
        (1, "resolved", 3),
        (2, "triggered", 1),
    ]
    assert [a.incident_iid for a in stored] == [1, 2]
    with store.read() as session:
        assert [i.status for i in session.scalars(select(Incident).order_by(Incident.iid))] == [
            "closed",
            "open",
        ]


def test_prepared_rows_are_built_once_and_left_as_built(store):
    first = generic(title="a", fingerprint="fp", service="orders")
    recovery = generic(fingerprint="fp", end_time="2026-11-29T12:05:00Z")
    ready = prepare(first)
    assert prepare(first) is ready  # once
    built = dict(ready[0].columns or {})
    assert built["service"] == "orders" and "iid" not in built and "status" not in built
    assert prepare(recovery)[0].columns is None  # only a trigger can make an alert
    assert orjson.loads(ready[0].payload)["title"] == "a"

    run(store, first, recovery)

    # The batch changed its own copy (number, status, end), never the prepared columns:
    # a batch that fails is written again from them.
    assert ready[0].columns == built
    [stored] = alerts(store)
    assert (stored.status, stored.events, stored.service) == ("resolved", 2, "orders")


def test_alerts_without_any_fingerprint_are_never_merged(store):
    run(store, generic())
    run(store, generic())
    assert [a.fingerprint for a in alerts(store)] == [None, None]


def test_pagerduty_acknowledge_then_resolve(store):
    trigger = fixture("pagerduty-events-v2-trigger.json")
    run(store, trigger)
    ack = generic(routing_key="k", event_action="acknowledge", dedup_key="disk-db01")
    [[result]] = run(store, ack)
    assert result.outcome == Outcome.ACKNOWLEDGED and result.status == "acknowledged"
    resolve = generic(routing_key="k", event_action="resolve", dedup_key="disk-db01")
    [[result]] = run(store, resolve)
    assert result.status == "resolved"
    with store.read() as session:
        bodies = [n.body for n in session.scalars(select(Note).order_by(Note.id))]
    assert "changed the status to Acknowledged (PagerDuty Events API)" in bodies


@pytest.mark.parametrize("payload_key", ["routing_key"])
def test_event_payload_is_kept_without_secrets(store, payload_key):
    run(store, fixture("pagerduty-events-v2-trigger.json"))
    with store.read() as session:
        [event] = session.scalars(select(AlertEvent)).all()
    assert payload_key not in event.payload
    assert "disk-db01" in event.payload


@pytest.mark.parametrize(
    ("moment", "shown"),
    [
        (datetime(2026, 11, 29, 0, 5, tzinfo=UTC), "29 November 2026, 12:05AM (UTC)"),
        (datetime(2026, 11, 29, 12, 0, tzinfo=UTC), "29 November 2026, 12:00PM (UTC)"),
        (datetime(2026, 1, 2, 23, 59, 59, tzinfo=UTC), "2 January 2026, 11:59PM (UTC)"),
        (
            datetime(2026, 5, 1, 9, 7, tzinfo=timezone(timedelta(hours=2))),
            "1 May 2026, 7:07AM (UTC)",
        ),
    ],
)
def test_start_times_read_as_gitlab_writes_them(moment, shown):
    assert describe.format_time(moment) == shown
