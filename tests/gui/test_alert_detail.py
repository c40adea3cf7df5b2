"""The alert detail view: fields, payload, events, activity, and every action."""

from __future__ import annotations

import gc
import json

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QDesktopServices
from sqlalchemy import select

from console.models import Alert, Incident
from console.views.alert_detail import AlertDetailWidget, safe_runbook_url
from tests.conftest import FORMATS


@pytest.fixture(autouse=True)
def _collect_on_gui_thread():
    """See tests/gui/test_alert_feed.py: collect earlier tests' Qt objects on this thread."""
    gc.collect()


def post(endpoint, body: dict) -> int:
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["iid"]


@pytest.fixture
def example() -> dict:
    return json.loads((FORMATS / "generic-alert.json").read_text())


@pytest.fixture
def detail(qtbot, ctx):
    widget = AlertDetailWidget(ctx)
    qtbot.addWidget(widget)
    widget.resize(900, 700)
    widget.show()
    return widget


def alert_row(ctx, iid: int) -> Alert:
    with ctx.store.read() as session:
        found = session.get(Alert, iid)
        assert found is not None
        return found


def test_shows_every_field(detail, gui_endpoint, example):
    iid = post(gui_endpoint, example)
    detail.show_alert(iid)
    assert detail.title.text() == "#1 Checkout latency above 2s"
    shown = {key: label.text() for key, label in detail.fields.items()}
    assert shown["status"] == "Triggered" and shown["severity"] == "High"
    assert shown["events"] == "1"
    assert shown["service"] == "checkout" and shown["monitoring_tool"] == "Grafana"
    assert shown["hosts"] == "web-1 web-2"
    assert shown["environment"] == "production"
    assert shown["runbook"] == "https://runbooks.example.com/checkout-latency"
    assert len(shown["fingerprint"]) == 40
    assert shown["integration"] == "monitoring"
    assert shown["ended_at"] == "—" and shown["incident"] == "—"
    assert shown["description"] == "p95 latency of the checkout service crossed 2 seconds"
    assert "High" in detail.badge.text() and "Triggered" in detail.badge.text()


def test_payload_events_and_activity(qtbot, detail, gui_endpoint, example):
    iid = post(gui_endpoint, example)
    again = dict(example, title="Checkout latency still above 2s")
    post(gui_endpoint, again)
    detail.show_alert(iid)
    assert json.loads(detail.payload.toPlainText()) == example
    assert detail.events.rowCount() == 2
    assert [detail.events.item(r, 1).text() for r in range(2)] == ["repeat", "trigger"]
    assert detail.events.item(0, 2).text() == "monitoring"
    assert detail.tabs.tabText(2) == "Events (2)"
    assert json.loads(detail.event_payload.toPlainText())["title"] == again["title"]
    detail.events.selectRow(1)
    assert json.loads(detail.event_payload.toPlainText()) == example
    bodies = [detail.activity.item(r).text() for r in range(detail.activity.count())]
    assert len(bodies) == 1 and bodies[0].endswith("Alert Bot logged an alert from Grafana")


def test_follows_live_changes_to_the_alert(qtbot, detail, gui_endpoint, example):
    iid = post(gui_endpoint, example)
    detail.show_alert(iid)
    post(gui_endpoint, example)
    qtbot.waitUntil(lambda: detail.fields["events"].text() == "2", timeout=5000)


@pytest.mark.parametrize(
    ("button", "status", "note"),
    [
        ("acknowledged", "acknowledged", "changed the status to Acknowledged"),
        ("resolved", "resolved", "changed the status to Resolved"),
        ("ignored", "ignored", "changed the status to Ignored"),
    ],
)
def test_status_buttons(qtbot, ctx, detail, gui_endpoint, example, button, status, note):
    iid = post(gui_endpoint, example)
    detail.show_alert(iid)
    with qtbot.waitSignal(detail.alert_changed, timeout=5000) as changed:
        qtbot.mouseClick(detail.status_buttons[button], Qt.MouseButton.LeftButton)
    assert changed.args == [iid]
    assert alert_row(ctx, iid).status == status
    assert detail.fields["status"].text() == status.capitalize()
    assert not detail.status_buttons[button].isEnabled()
    last = detail.activity.item(detail.activity.count() - 1).text()
    assert last.endswith(f"tester {note}")


def test_a_refused_change_is_shown(qtbot, ctx, detail, gui_endpoint, example):
    iid = post(gui_endpoint, example)
    post(gui_endpoint, dict(example, end_time="2026-11-29T11:00:00Z"))  # resolves #1
    post(gui_endpoint, example)  # #2 opens with the same fingerprint
    detail.show_alert(iid)
    qtbot.mouseClick(detail.status_buttons["acknowledged"], Qt.MouseButton.LeftButton)
    qtbot.waitUntil(detail.message.isVisible, timeout=5000)
    assert "same fingerprint is open" in detail.message.text()
    assert alert_row(ctx, iid).status == "resolved"


def test_create_incident_then_open_it(qtbot, ctx, detail, gui_endpoint, example):
    iid = post(gui_endpoint, example)
    detail.show_alert(iid)
    assert detail.incident_button.text() == "Create incident"
    with qtbot.waitSignal(detail.alert_changed, timeout=5000):
        qtbot.mouseClick(detail.incident_button, Qt.MouseButton.LeftButton)
    with ctx.store.read() as session:
        incident = session.scalars(select(Incident)).one()
    assert incident.title == "Checkout latency above 2s" and incident.author == "tester"
    assert alert_row(ctx, iid).incident_iid == incident.iid
    assert detail.incident_button.text() == f"Open incident #{incident.iid}"
    assert detail.fields["incident"].text().startswith(f"#{incident.iid} ")
    last = detail.activity.item(detail.activity.count() - 1).text()
    assert last.endswith(f"created incident #{incident.iid} for this alert")
    with qtbot.waitSignal(detail.open_incident, timeout=2000) as opened:
        qtbot.mouseClick(detail.incident_button, Qt.MouseButton.LeftButton)
    assert opened.args == [incident.iid]


def test_open_runbook_opens_http_links_only(qtbot, detail, gui_endpoint, example, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(
        QDesktopServices, "openUrl", lambda url: opened.append(url.toString()) or True
    )
    iid = post(gui_endpoint, example)
    detail.show_alert(iid)
    assert detail.runbook_button.isEnabled()
    qtbot.mouseClick(detail.runbook_button, Qt.MouseButton.LeftButton)
    assert opened == ["https://runbooks.example.com/checkout-latency"]
    bad = post(gui_endpoint, dict(example, fingerprint="other", runbook="javascript:alert(1)"))
    detail.show_alert(bad)
    assert not detail.runbook_button.isEnabled()
    assert detail.open_runbook() is False and len(opened) == 1
    for text in ("file:///etc/passwd", "http://", "runbooks/disk", ""):
        assert safe_runbook_url(text) is None
    assert safe_runbook_url("HTTP://wiki.local/runbook") is not None


def test_unknown_alert(detail):
    detail.show_alert(42)
    assert detail.stack.currentWidget() is detail.empty
    assert "no alert #42" in detail.empty.text()
