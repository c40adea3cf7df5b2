"""A relative chart range in an incident made from an alert ends at the alert's start."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from console.engine import incident_edits
from console.views.incident_view import IncidentView
from tests.conftest import set_settings

LINK = "http://127.0.0.1:9090/graph?g0.expr=up&g0.range_input=1h"


def test_relative_range_refers_to_the_alert_start(qtbot, ctx, store, gui_endpoint):
    set_settings(store, create_incident="true")
    body = {"title": "Latency", "fingerprint": "lat", "start_time": "2026-11-20T08:30:00Z"}
    with httpx.Client(timeout=10) as client:
        assert client.post(gui_endpoint.url, json=body, headers=gui_endpoint.headers).is_success
    with store.write() as session:
        incident_edits.edit_description(session, 1, f"Before the page:\n\n{LINK}\n", "ana")
    view = IncidentView(ctx)
    qtbot.addWidget(view)
    view.show()
    assert view.show_incident(1)
    [embed] = view.description.view.rendered.embeds
    assert embed.end == datetime(2026, 11, 20, 8, 30, tzinfo=UTC)
    assert embed.start == datetime(2026, 11, 20, 7, 30, tzinfo=UTC)
