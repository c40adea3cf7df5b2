"""The incident list: filters, search, paging, live arrival and opening an incident."""

from __future__ import annotations

import httpx
from PySide6.QtCore import QModelIndex, Qt

from console.engine import lifecycle
from console.models import Incident
from console.views.incident_list import PAGE, IncidentListModel, IncidentListWidget
from tests.conftest import set_settings

# The offscreen platform says so whenever a top-level widget is shown; it is not a problem.


def post(endpoint, title: str, severity: str = "critical", fingerprint: str | None = None):
    body = {"title": title, "severity": severity, "fingerprint": fingerprint or title}
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def add_incidents(store, count: int, start: int = 1) -> None:
    with store.write() as session:
        for iid in range(start, start + count):
            session.add(
                Incident(
                    iid=iid,
                    title=f"incident {iid}",
                    severity="low",
                    labels=["incident"],
                    assignees=[],
                )
            )


def test_model_passes_the_model_tester_and_pages(qtmodeltester, store, qapp):
    add_incidents(store, PAGE + 50)
    model = IncidentListModel(store)
    assert model.rowCount() == PAGE
    assert model.canFetchMore(QModelIndex())
    model.fetchMore(QModelIndex())
    assert model.rowCount() == PAGE + 50
    assert not model.canFetchMore(QModelIndex())
    assert model.data(model.index(0, 0)) == f"#{PAGE + 50}"
    qtmodeltester.check(model)


def test_new_incidents_appear_live(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    widget = IncidentListWidget(ctx)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.model.rowCount() == 0
    post(gui_endpoint, "Disk full on db-1", "high")
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1, timeout=5000)
    assert widget.model.data(widget.model.index(0, 3)) == "Disk full on db-1"
    assert widget.model.data(widget.model.index(0, 1)) == "▲ high"
    assert widget.model.data(widget.model.index(0, 4)) == "1"
    qtbot.waitUntil(lambda: widget.tabs.tabText(0) == "Open  1", timeout=2000)


def test_tabs_severity_and_search_filter(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    post(gui_endpoint, "Disk full on db-1", "critical")
    post(gui_endpoint, "CPU hot on web-2", "low")
    post(gui_endpoint, "Packet loss", "low")
    with store.write() as session:
        lifecycle.close_incident(session, 3, "tester")
    widget = IncidentListWidget(ctx)
    qtbot.addWidget(widget)

    def titles() -> list[str]:
        return [widget.model.data(widget.model.index(r, 3)) for r in range(widget.model.rowCount())]

    assert titles() == ["CPU hot on web-2", "Disk full on db-1"]
    assert [widget.tabs.tabText(n) for n in range(3)] == ["Open  2", "Closed  1", "All  3"]
    widget.tabs.setCurrentIndex(1)
    assert titles() == ["Packet loss"]
    widget.tabs.setCurrentIndex(2)
    widget.severity.setCurrentIndex(widget.severity.findData("low"))
    assert titles() == ["Packet loss", "CPU hot on web-2"]
    assert widget.tabs.tabText(2) == "All  2"
    qtbot.keyClicks(widget.search, "web-2")
    qtbot.waitUntil(lambda: titles() == ["CPU hot on web-2"], timeout=2000)


def test_enter_opens_the_selected_incident(qtbot, ctx, store):
    add_incidents(store, 3)
    widget = IncidentListWidget(ctx)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.select_incident(2)
    widget.table.setCurrentIndex(widget.model.index(widget.model.row_of(2), 0))
    with qtbot.waitSignal(widget.open_incident, timeout=2000) as opened:
        qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert opened.args == [2]


def test_changes_made_elsewhere_reach_the_list(qtbot, ctx, store):
    add_incidents(store, 2)
    widget = IncidentListWidget(ctx)
    qtbot.addWidget(widget)
    widget.show()
    with store.write() as session:  # as the command line would, in another process
        lifecycle.close_incident(session, 1, "someone")
    qtbot.waitUntil(lambda: widget.model.rowCount() == 1, timeout=5000)
    assert widget.tabs.tabText(1) == "Closed  1"


def test_a_title_with_line_breaks_shows_on_one_line(store, qapp):
    with store.write() as session:
        session.add(
            Incident(
                iid=1,
                title="Disk almost full\non web-1\tand web-2",
                severity="low",
                labels=["incident"],
                assignees=[],
            )
        )
    model = IncidentListModel(store)
    assert model.data(model.index(0, 3)) == "Disk almost full on web-1 and web-2"
