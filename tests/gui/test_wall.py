"""The wall display: counts after alerts arrive, flashing, the rate chart, health, full screen."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from console.engine import lifecycle
from console.incident_queries import WallAlert
from console.views.wall import WallWindow
from console.views.wall_parts import WallAlertsModel


def post(endpoint, title: str, severity: str = "critical"):
    body = {"title": title, "severity": severity, "fingerprint": title, "service": "api"}
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text


@pytest.fixture
def wall(qtbot, ctx):
    shown = WallWindow(ctx)
    qtbot.addWidget(shown)
    shown.resize(1920, 1080)
    shown.show()
    return shown


def counts(wall: WallWindow) -> dict[str, str]:
    shown = {name: tile.count.text() for name, tile in wall.tiles.items()}
    shown["unacknowledged"] = wall.unacked_tile.count.text()
    return shown


def test_counts_follow_alerts_as_they_arrive(qtbot, ctx, gui_endpoint, wall, store):
    assert wall.empty.isVisible()
    post(gui_endpoint, "DB down", "critical")
    post(gui_endpoint, "API slow", "critical")
    post(gui_endpoint, "Disk 80%", "low")
    qtbot.waitUntil(
        lambda: counts(wall)["critical"] == "2" and counts(wall)["low"] == "1", timeout=5000
    )
    assert counts(wall)["unacknowledged"] == "3"
    assert counts(wall)["high"] == "0"
    assert wall.model.rowCount() == 3
    assert wall.model.data(wall.model.index(0, 0)).strip().endswith("CRITICAL")
    assert "Disk 80%" in wall.model.data(wall.model.index(2, 1))
    with store.write() as session:  # acknowledged elsewhere: picked up by the slow poll
        lifecycle.set_alert_status(session, 1, "acknowledged", "someone")
    qtbot.waitUntil(lambda: counts(wall)["unacknowledged"] == "2", timeout=8000)
    assert counts(wall)["critical"] == "2"


def test_health_shows_listener_and_store(qtbot, ctx, gui_endpoint, wall):
    assert wall.health["address"].text() == ctx.listener.url
    assert wall.health["last"].text() == "none yet"
    post(gui_endpoint, "DB down")
    qtbot.waitUntil(lambda: wall.health["last"].text().endswith("ago"), timeout=3000)
    qtbot.waitUntil(lambda: wall.health["store"].text() == "● OK", timeout=3000)
    assert wall.health["errors"].text() == "0"
    assert "LISTENING" in wall.health["status"].text()
    assert wall.clock.text().count(":") == 2


def test_rate_chart_counts_alerts_per_minute(qtbot, ctx, gui_endpoint, wall):
    for n in range(4):
        post(gui_endpoint, f"alert {n}")
    wall.refresh_chart()
    qtbot.waitUntil(lambda: sum(wall.chart.bars.opts["height"]) == 4, timeout=5000)
    assert wall.chart.bars.opts["height"][-1] == 4


def test_full_screen_on_the_chosen_screen_and_nothing_pops_over(qtbot, ctx):
    wall = WallWindow(ctx)
    qtbot.addWidget(wall)
    assert not wall.is_wall_active
    wall.show_on(99)  # no such screen: the primary one
    qtbot.waitUntil(lambda: wall.is_wall_active, timeout=2000)
    screen = QGuiApplication.primaryScreen()
    assert wall.screen() == screen
    assert wall.isFullScreen()
    assert wall.geometry() == screen.geometry()
    with qtbot.waitSignal(wall.closed, timeout=1000):
        wall.close()
    assert not wall.is_wall_active


def test_type_scales_with_the_screen(wall):
    wall.apply_scale(1080)
    at_1080 = wall.table.font().pointSizeF()
    wall.apply_scale(2160)
    assert wall.table.font().pointSizeF() == pytest.approx(2 * at_1080)
    assert wall.tiles["critical"].count.font().pointSizeF() >= 2 * 40


def test_m_asks_to_mute(qtbot, wall):
    wall.activateWindow()
    with qtbot.waitSignal(wall.mute_requested, timeout=1000):
        qtbot.keyClick(wall, Qt.Key.Key_M)
    wall.set_sound_state(playing=False, muted=True)
    assert "MUTED" in wall.sound.text()


def test_wall_model_flashes_only_unacknowledged_rows(qtmodeltester, qapp):
    now = datetime.now(UTC)
    model = WallAlertsModel()
    model.set_rows(
        [
            WallAlert(1, "down", "triggered", "critical", "api", "", now - timedelta(minutes=5)),
            WallAlert(2, "slow", "acknowledged", "high", "", "web-1", now - timedelta(seconds=7)),
        ],
        now,
    )
    qtmodeltester.check(model)
    background = Qt.ItemDataRole.BackgroundRole
    before = [model.data(model.index(r, 1), background) for r in range(2)]
    model.toggle_flash()
    after = [model.data(model.index(r, 1), background) for r in range(2)]
    assert before[0] != after[0]
    assert before[1] == after[1] is None
    assert model.data(model.index(0, 3)) == "5 min" and model.data(model.index(1, 3)) == "7 s"
    assert model.data(model.index(1, 1)) == "#2  slow   (web-1)"
    qtmodeltester.check(model)


def test_join_zoom_on_the_wall_opens_the_open_incidents_meeting(qtbot, ctx, store, monkeypatch):
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QDesktopServices

    from console.engine import incident_edits
    from console.engine import zoom as zoom_service
    from console.views.wall import WallWindow

    with store.write() as session:
        incident = incident_edits.create_incident(session, "Checkout down", "", "ana")
        zoom_service.set_zoom_link(session, incident.iid, "https://zoom.us/j/123456789", "ana")
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    wall = WallWindow(ctx)
    qtbot.addWidget(wall)
    wall.show()
    wall.refresh()
    assert wall.zoom_button.isVisible()
    assert "Checkout down" in wall.zoom_button.text()
    qtbot.mouseClick(wall.zoom_button, Qt.MouseButton.LeftButton)
    assert opened == ["https://zoom.us/j/123456789"]
