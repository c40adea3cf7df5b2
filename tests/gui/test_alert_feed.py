"""The alert feed: its model, tabs and counts, sorting, search, new alerts, keys, bulk changes."""

from __future__ import annotations

import gc
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QProgressDialog
from sqlalchemy import select

from console.feed import FeedQuery
from console.models import Alert
from console.views import alert_feed
from console.views.alert_feed import AlertFeedWidget
from console.views.alert_feed_model import ALERT, IID_ROLE, NEW_ROLE, SEVERITY, AlertFeedModel

START = datetime(2026, 11, 29, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _collect_on_gui_thread():
    """Earlier tests leave Qt objects (their live-update timers) in reference cycles; collect
    them here, on the GUI thread, not wherever the collector runs next: an ingest thread
    allocating under load would destroy those timers on the wrong thread and crash Qt."""
    gc.collect()


def post(endpoint, **fields) -> int:
    """Post one generic alert; returns its number."""
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=fields, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["iid"]


def post_many(endpoint, count: int, prefix: str = "bulk") -> None:
    """Post `count` alerts as Alertmanager webhooks of 100 alerts each."""
    with httpx.Client(timeout=30) as client:
        for start in range(0, count, 100):
            items = [
                {
                    "status": "firing",
                    "labels": {"alertname": f"{prefix}-{n}", "severity": "warning"},
                    "annotations": {"summary": f"{prefix} alert {n}"},
                    "startsAt": (START + timedelta(seconds=n)).isoformat(),
                    "endsAt": "0001-01-01T00:00:00Z",
                    "fingerprint": f"{prefix}-{n}",
                }
                for n in range(start, min(start + 100, count))
            ]
            body = {
                "version": "4",
                "status": "firing",
                "receiver": "console",
                "groupKey": prefix,
                "groupLabels": {},
                "commonLabels": {},
                "commonAnnotations": {},
                "externalURL": "http://alertmanager:9093",
                "alerts": items,
            }
            answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
            assert answer.status_code == 200, answer.text


def statuses(ctx) -> dict[int, str]:
    with ctx.store.read() as session:
        return {iid: status for iid, status in session.execute(select(Alert.iid, Alert.status))}


def shown_iids(model) -> list[int]:
    return [model.iid_at(row) for row in range(model.rowCount())]


def wait_rows(qtbot, model, count: int) -> None:
    qtbot.waitUntil(lambda: model.is_complete and model.rowCount() == count, timeout=10_000)


def test_model_passes_the_model_tester_empty_and_with_alerts(
    qtbot, qtmodeltester, ctx, gui_endpoint
):
    model = AlertFeedModel(ctx.store, FeedQuery(tab="all"))
    try:
        qtbot.waitUntil(lambda: model.is_complete, timeout=5000)
        qtmodeltester.check(model)
        for n in range(5):
            post(gui_endpoint, title=f"disk {n}", severity="high", fingerprint=f"fp{n}")
        ctx.updates.changed.connect(lambda iids, _inc: model.apply_changes(iids))
        wait_rows(qtbot, model, 5)
        qtmodeltester.check(model)
        assert model.data(model.index(0, ALERT)) == "#5 disk 4"
        assert model.data(model.index(0, SEVERITY)) == "High"
        assert model.data(model.index(0, 0), IID_ROLE) == 5
    finally:
        model.close()


def test_tab_counts_follow_arriving_alerts(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="one", fingerprint="a")
    post(gui_endpoint, title="two", fingerprint="b")
    post(gui_endpoint, fingerprint="b", end_time="2026-11-29T10:00:00Z")
    qtbot.waitUntil(lambda: feed.counts["all"] == 2, timeout=5000)
    assert feed.counts == {"open": 1, "triggered": 1, "acknowledged": 0, "resolved": 1, "all": 2}
    assert feed.tabs.tabText(0) == "Open  1"
    assert feed.tabs.tabText(3) == "Resolved  1"
    wait_rows(qtbot, feed.model, 1)  # the open tab lost the resolved alert
    feed.show_tab("all")
    wait_rows(qtbot, feed.model, 2)


def test_sorting_by_each_column(qtbot, feed, gui_endpoint):
    specs = [("low", 3, 1), ("critical", 1, 3), ("info", 2, 2), ("high", 0, 1)]
    for n, (severity, minutes, repeats) in enumerate(specs):
        at = (START + timedelta(minutes=minutes)).isoformat()
        for _ in range(repeats):
            post(gui_endpoint, title=f"a{n}", severity=severity, start_time=at, fingerprint=f"s{n}")
    wait_rows(qtbot, feed.model, 4)
    model = feed.model
    model.sort(0, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.is_complete and model.query.sort == "severity", timeout=5000)
    assert [model.data(model.index(r, 0)) for r in range(4)] == ["Critical", "High", "Low", "Info"]
    model.sort(0, Qt.SortOrder.AscendingOrder)
    qtbot.waitUntil(lambda: model.is_complete and not model.query.descending, timeout=5000)
    assert [model.data(model.index(r, 0)) for r in range(4)] == ["Info", "Low", "High", "Critical"]
    model.sort(1, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.is_complete and model.query.sort == "started_at", timeout=5000)
    assert shown_iids(model) == [1, 3, 2, 4]
    model.sort(3, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(lambda: model.is_complete and model.query.sort == "events", timeout=5000)
    assert [model.data(model.index(r, 3)) for r in range(4)] == ["3", "2", "1", "1"]
    with httpx.Client(timeout=10) as client:  # acknowledge #1 through its recovery sibling
        client.post(
            gui_endpoint.url,
            json={"fingerprint": "s0", "end_time": START.isoformat()},
            headers=gui_endpoint.headers,
        )
    feed.show_tab("all")
    model.sort(5, Qt.SortOrder.DescendingOrder)
    qtbot.waitUntil(
        lambda: model.is_complete and model.query.sort == "status" and model.query.tab == "all",
        timeout=5000,
    )
    assert [model.data(model.index(r, 5)) for r in range(4)] == ["Triggered"] * 3 + ["Resolved"]
    model.sort(2, Qt.SortOrder.DescendingOrder)  # the Alert column does not sort
    assert model.query.sort == "status"


def _section_center(header, column):
    from PySide6.QtCore import QPoint

    x = header.sectionViewportPosition(column) + header.sectionSize(column) // 2
    return QPoint(x, header.height() // 2)


def test_clicking_a_header_sorts(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="low one", severity="low", fingerprint="l")
    post(gui_endpoint, title="critical one", severity="critical", fingerprint="c")
    post(gui_endpoint, title="info one", severity="info", fingerprint="i")
    wait_rows(qtbot, feed.model, 3)
    header = feed.table.horizontalHeader()
    qtbot.mouseClick(header.viewport(), Qt.MouseButton.LeftButton, pos=_section_center(header, 0))
    qtbot.waitUntil(
        lambda: feed.model.is_complete and feed.model.query.sort == "severity", timeout=5000
    )
    assert feed.model.query.descending  # most severe first on the first click
    assert [feed.model.data(feed.model.index(r, 0)) for r in range(3)] == [
        "Critical",
        "Low",
        "Info",
    ]


def test_search_matches_title_description_service_and_tool(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="Disk full", fingerprint="1")
    post(gui_endpoint, title="CPU", description="disk is slow", fingerprint="2")
    post(gui_endpoint, title="Latency", service="diskstore", fingerprint="3")
    post(gui_endpoint, title="Memory", monitoring_tool="DiskWatch", fingerprint="4")
    post(gui_endpoint, title="Network", fingerprint="5")
    wait_rows(qtbot, feed.model, 5)
    qtbot.keyClicks(feed.search, "DISK")
    qtbot.waitUntil(
        lambda: feed.model.is_complete and feed.model.query.search == "DISK", timeout=5000
    )
    assert sorted(shown_iids(feed.model)) == [1, 2, 3, 4]
    assert feed.matches.text() == "4 matches"
    feed.search.clear()
    wait_rows(qtbot, feed.model, 5)


def test_new_alerts_are_highlighted_until_selected(qtbot, feed, gui_endpoint, monkeypatch):
    monkeypatch.setattr(alert_feed, "SEEN_AFTER_S", 3600.0)
    iid = post(gui_endpoint, title="fresh", fingerprint="f")
    wait_rows(qtbot, feed.model, 1)
    model = feed.model
    assert model.data(model.index(0, 0), NEW_ROLE) is True
    assert model.data(model.index(0, ALERT), Qt.ItemDataRole.FontRole).bold()
    assert model.data(model.index(0, ALERT), Qt.ItemDataRole.BackgroundRole) is not None
    feed.table.selectRow(0)
    assert not model.is_new(iid)
    assert model.data(model.index(0, ALERT), Qt.ItemDataRole.FontRole) is None


def test_new_alerts_on_screen_are_seen_after_a_while(qtbot, feed, gui_endpoint, monkeypatch):
    monkeypatch.setattr(alert_feed, "SEEN_AFTER_S", 0.2)
    iid = post(gui_endpoint, title="fresh", fingerprint="f")
    wait_rows(qtbot, feed.model, 1)
    assert feed.model.is_new(iid)
    qtbot.waitUntil(lambda: not feed.model.is_new(iid), timeout=5000)


def test_alerts_present_at_opening_are_not_new(qtbot, ctx, gui_endpoint):
    iid = post(gui_endpoint, title="old", fingerprint="o")
    widget = AlertFeedWidget(ctx)
    qtbot.addWidget(widget)
    wait_rows(qtbot, widget.model, 1)
    assert not widget.model.is_new(iid)


@pytest.mark.parametrize(
    ("key", "status"),
    [(Qt.Key.Key_A, "acknowledged"), (Qt.Key.Key_R, "resolved"), (Qt.Key.Key_I, "ignored")],
)
def test_status_keys_change_the_selected_alerts(qtbot, ctx, feed, gui_endpoint, key, status):
    for n in range(3):
        post(gui_endpoint, title=f"k{n}", fingerprint=f"k{n}")
    wait_rows(qtbot, feed.model, 3)
    feed.table.setFocus()
    feed.table.selectRow(0)
    feed.table.selectionModel().select(
        feed.model.index(1, 0),
        feed.table.selectionModel().SelectionFlag.Select
        | feed.table.selectionModel().SelectionFlag.Rows,
    )
    chosen = set(feed.selected_iids())
    assert len(chosen) == 2
    qtbot.keyClick(feed.table, key)
    qtbot.waitUntil(
        lambda: {i for i, s in statuses(ctx).items() if s == status} == chosen, timeout=5000
    )
    if status != "acknowledged":  # both left the open tab
        wait_rows(qtbot, feed.model, 1)


def test_enter_opens_the_current_alert(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="first", fingerprint="1")
    iid = post(gui_endpoint, title="second", fingerprint="2")
    wait_rows(qtbot, feed.model, 2)
    feed.table.setFocus()
    feed.table.selectRow(0)
    with qtbot.waitSignal(feed.open_alert, timeout=2000) as opened:
        qtbot.keyClick(feed.table, Qt.Key.Key_Return)
    assert opened.args == [iid]


def test_slash_goes_to_search_and_escape_comes_back(qtbot, feed):
    feed.activateWindow()
    feed.table.setFocus()
    qtbot.keyClick(feed.table, Qt.Key.Key_Slash)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is feed.search, timeout=2000)
    qtbot.keyClicks(feed.search, "cpu")
    qtbot.keyClick(feed.search, Qt.Key.Key_Escape)
    assert feed.search.text() == ""
    qtbot.waitUntil(lambda: QApplication.focusWidget() is feed.table, timeout=2000)


def test_bulk_acknowledge_of_500_alerts_shows_progress(qtbot, ctx, feed, gui_endpoint):
    post_many(gui_endpoint, 500)
    wait_rows(qtbot, feed.model, 500)
    feed.table.setFocus()
    feed.table.selectAll()
    assert len(feed.selected_iids()) == 500
    qtbot.keyClick(feed.table, Qt.Key.Key_A)
    bulk = feed.bulk
    assert bulk is not None and isinstance(bulk.progress, QProgressDialog)
    assert bulk.progress.maximum() == 500
    steps: list[int] = []
    bulk.progressed.connect(lambda done, _total: steps.append(done))
    with qtbot.waitSignal(bulk.finished, timeout=30_000) as finished:
        pass
    changed, failures = finished.args
    assert len(changed) == 500 and failures == []
    assert steps and steps[-1] == 500 and len(steps) > 1
    assert set(statuses(ctx).values()) == {"acknowledged"}
    qtbot.waitUntil(lambda: feed.counts["acknowledged"] == 500, timeout=5000)
    assert not bulk.progress.isVisible()


def test_live_updates_keep_the_selected_alert_selected(qtbot, feed, gui_endpoint):
    for n in range(3):
        post(gui_endpoint, title=f"s{n}", fingerprint=f"s{n}")
    wait_rows(qtbot, feed.model, 3)
    feed.table.selectRow(1)
    chosen = feed.selected_iids()
    for n in range(3, 6):
        post(gui_endpoint, title=f"s{n}", fingerprint=f"s{n}")
    wait_rows(qtbot, feed.model, 6)
    assert feed.selected_iids() == chosen
    assert feed.model.iid_at(feed.table.currentIndex().row()) == chosen[0]


def test_new_alerts_above_a_scrolled_view_keep_it_in_place(qtbot, feed, gui_endpoint):
    post_many(gui_endpoint, 200, prefix="old")
    wait_rows(qtbot, feed.model, 200)
    bar = feed.table.verticalScrollBar()
    bar.setValue(100)
    top = feed.model.iid_at(feed.table.rowAt(0))
    later = (START + timedelta(hours=1)).isoformat()
    for n in range(3):
        post(gui_endpoint, title=f"newer {n}", start_time=later, fingerprint=f"newer{n}")
    wait_rows(qtbot, feed.model, 203)
    assert feed.model.iid_at(feed.table.rowAt(0)) == top
    assert feed.new_above.isVisible() and feed.new_above.text() == "↑ 3 new"
    qtbot.mouseClick(feed.new_above, Qt.MouseButton.LeftButton)
    assert bar.value() == 0 and not feed.new_above.isVisible()
    assert feed.model.data(feed.model.index(0, ALERT)).startswith("#203 newer")
