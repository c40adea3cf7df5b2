"""New-incident notifications: banner or tray, severity setting, click-through to the incident."""

from __future__ import annotations

import httpx
from PySide6.QtCore import Qt

from console.views.notifications import IncidentNotifier
from tests.conftest import set_settings


def post(endpoint, title: str, severity: str = "critical"):
    body = {"title": title, "severity": severity, "fingerprint": title}
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def post_and_wait(qtbot, ctx, endpoint, title: str, severity: str = "critical") -> None:
    """Post, and return once the window has heard of the commit (the notifier first)."""
    with qtbot.waitSignal(ctx.updates.changed, timeout=5000):
        post(endpoint, title, severity)


def test_banner_click_opens_the_new_incident(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    assert notifier.tray is None
    banner = notifier.banner
    qtbot.addWidget(banner)
    post(gui_endpoint, "Disk full on db-1", "high")
    qtbot.waitUntil(banner.isVisible, timeout=5000)
    assert "New incident #1" in banner.text.text() and "Disk full on db-1" in banner.text.text()
    with qtbot.waitSignal(notifier.open_incident, timeout=1000) as opened:
        qtbot.mouseClick(banner.open_button, Qt.MouseButton.LeftButton)
    assert opened.args == [1]
    assert not banner.isVisible()


def test_banner_can_be_dismissed(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    qtbot.addWidget(notifier.banner)
    post(gui_endpoint, "Disk full", "critical")
    qtbot.waitUntil(notifier.banner.isVisible, timeout=5000)
    with qtbot.assertNotEmitted(notifier.open_incident):
        qtbot.mouseClick(notifier.banner.dismiss_button, Qt.MouseButton.LeftButton)
    assert not notifier.banner.isVisible()


def test_tray_message_click_opens_the_incident(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    notifier = IncidentNotifier(ctx, tray_available=lambda: True)
    assert notifier.tray is not None
    shown: list[tuple[str, str]] = []
    # Offscreen has no tray to draw on (showing the icon only warns): record what would show.
    notifier.tray.tray.show = lambda: None
    notifier.tray.tray.showMessage = lambda title, body, *rest: shown.append((title, body))
    post(gui_endpoint, "API down", "critical")
    post(gui_endpoint, "Latency", "medium")
    qtbot.waitUntil(lambda: len(shown) == 2, timeout=5000)
    assert shown[0] == ("New incident #1 (■ critical)", "API down")
    assert not notifier.banner.isVisible()
    with qtbot.waitSignal(notifier.open_incident, timeout=1000) as opened:
        notifier.tray.tray.messageClicked.emit()
    assert opened.args == [2]  # the message shown last is the one clicked


def test_only_incidents_created_after_start_notify(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    post(gui_endpoint, "Old trouble", "critical")  # incident 1, before the notifier
    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    qtbot.addWidget(notifier.banner)
    post_and_wait(qtbot, ctx, gui_endpoint, "Old trouble")  # a repeat touches incident 1
    assert not notifier.banner.isVisible()
    post(gui_endpoint, "New trouble", "critical")
    qtbot.waitUntil(notifier.banner.isVisible, timeout=5000)
    assert notifier.banner.iid == 2


def test_severity_setting_is_read_fresh(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true", notify_severities="critical,high")
    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    qtbot.addWidget(notifier.banner)
    post_and_wait(qtbot, ctx, gui_endpoint, "Minor thing", "low")
    assert not notifier.banner.isVisible()
    set_settings(store, notify_severities="low")  # as `settings set` would, meanwhile
    post(gui_endpoint, "Another minor thing", "low")
    qtbot.waitUntil(notifier.banner.isVisible, timeout=5000)
    assert notifier.banner.iid == 2


def test_nothing_pops_up_over_the_wall(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    wall_shown = [True]
    notifier = IncidentNotifier(ctx, tray_available=lambda: False, suppressed=lambda: wall_shown[0])
    qtbot.addWidget(notifier.banner)
    post_and_wait(qtbot, ctx, gui_endpoint, "During the wall", "critical")
    assert not notifier.banner.isVisible()
    wall_shown[0] = False
    post(gui_endpoint, "After the wall", "critical")
    qtbot.waitUntil(notifier.banner.isVisible, timeout=5000)


def test_a_storm_makes_one_summary(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    qtbot.addWidget(notifier.banner)
    body = {
        "version": "4",
        "status": "firing",
        "groupKey": "g",
        "receiver": "console",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am",
        "alerts": [
            {
                "status": "firing",
                "labels": {"alertname": f"A{n}", "severity": "critical"},
                "annotations": {},
                "startsAt": "2026-01-01T00:00:00Z",
                "endsAt": "0001-01-01T00:00:00Z",
                "fingerprint": f"fp{n}",
            }
            for n in range(6)
        ],
    }
    with httpx.Client(timeout=10) as client:
        answer = client.post(gui_endpoint.url, json=body, headers=gui_endpoint.headers)
    assert answer.status_code == 200, answer.text
    qtbot.waitUntil(notifier.banner.isVisible, timeout=5000)
    assert "6 new incidents" in notifier.banner.text.text()
    assert notifier.banner.iid == 6
