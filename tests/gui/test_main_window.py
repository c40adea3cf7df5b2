"""The main window: routing between views, notification click-through, keys, geometry."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import QSettings, Qt

from console.services import alarm_sounds
from console.views.main_window import ALERTS_TAB, INCIDENTS_TAB, MainWindow
from tests.conftest import set_settings


@pytest.fixture
def window(qtbot, ctx, tmp_path, monkeypatch):
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    monkeypatch.setattr(alarm_sounds, "find_player", lambda: None)  # no real sound in tests
    shown = MainWindow(ctx)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def post(endpoint, title: str, severity: str = "critical") -> dict:
    with httpx.Client(timeout=10) as client:
        response = client.post(
            endpoint.url,
            headers=endpoint.headers,
            json={"title": title, "severity": severity, "fingerprint": title},
        )
    assert response.status_code == 200
    return response.json()[0]


def test_new_incident_notification_opens_it(qtbot, window, store, gui_endpoint):
    set_settings(store, create_incident="true")
    post(gui_endpoint, "Checkout down")
    banner = window.notifier.banner
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    with qtbot.waitSignal(window.notifier.open_incident, timeout=5000):
        banner.open_clicked.emit(1)
    assert window.tabs.currentIndex() == INCIDENTS_TAB
    assert window.incident_view.iid == 1


def test_links_route_to_incidents_and_alerts(qtbot, window, store, gui_endpoint):
    set_settings(store, create_incident="true")
    post(gui_endpoint, "Disk full")
    window.open_link("incident-console://incident/1")
    assert window.tabs.currentIndex() == INCIDENTS_TAB and window.incident_view.iid == 1
    window.open_link("incident-console://alert/1")
    assert window.tabs.currentIndex() == ALERTS_TAB
    window.open_link("not a link")  # only raises the window
    assert window.tabs.currentIndex() == ALERTS_TAB


def test_status_line_tells_where_alerts_arrive(qtbot, window, ctx, gui_endpoint):
    assert ctx.listener.url in window.status.text()
    assert "no alert yet" in window.status.text()
    post(gui_endpoint, "Anything")
    window.update_status()
    assert "last alert" in window.status.text()


def test_f11_toggles_full_screen(qtbot, window):
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=2000)
    qtbot.keyClick(window, Qt.Key.Key_F11)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=2000)


def test_geometry_is_restored(qtbot, ctx, tmp_path):
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    first = MainWindow(ctx)
    qtbot.addWidget(first)
    first.resize(780, 580)  # inside the offscreen screen (800x600)
    first.show()
    first.close()
    second = MainWindow(ctx)
    qtbot.addWidget(second)
    assert (second.width(), second.height()) == (780, 580)


def test_wall_opens_from_the_view_menu(qtbot, window):
    window.wall_action.trigger()
    qtbot.waitUntil(lambda: window.wall.is_wall_active, timeout=3000)
    window.wall.close()


def test_settings_menu_opens_the_admin_forms(qtbot, window):
    from console.views.settings_view import SettingsDialog

    window.open_settings()
    dialog = window.findChild(SettingsDialog)
    assert dialog is not None and dialog.isVisible()
    dialog.reject()
    window.open_integrations()
    window.open_templates()
    window.open_dashboards()
    window.open_alert_rules()
    assert window._admin_windows["rules"].isVisible()
    assert window._admin_windows["integrations"].isVisible()
    assert window._admin_windows["templates"].isVisible()
    window.close()
    assert not window._admin_windows["templates"].isVisible()
