"""Quick actions and Zoom from the incident view: a note acts, Start and Join Zoom work."""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices

from tests.conftest import set_settings
from tests.gui.test_incident_view import stored, system_notes, view  # noqa: F401 - a fixture used below


def post_note(qtbot, view, text: str) -> None:
    view.composer.setPlainText(text)
    qtbot.keyClick(view.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)


def test_note_with_quick_actions_acts_and_leaves_system_notes(qtbot, view, store):
    post_note(qtbot, view, "Paging the DBA.\n/label ~database\n/severity medium")
    qtbot.waitUntil(lambda: stored(store).severity == "medium", timeout=5000)
    incident = stored(store)
    assert "database" in incident.labels
    assert any("database" in body for body in system_notes(store))
    qtbot.waitUntil(lambda: view.composer.toPlainText() == "", timeout=5000)


def test_refused_quick_action_changes_nothing_and_says_why(qtbot, view, store):
    post_note(qtbot, view, "/zoom http://zoom.us/j/123\n/label ~should-not-apply")
    qtbot.waitUntil(view.error.isVisible, timeout=5000)
    assert "zoom" in view.error.text().lower()
    assert "should-not-apply" not in stored(store).labels
    assert view.composer.toPlainText()  # the text is kept to fix


def test_start_zoom_attaches_the_personal_link_and_join_opens_it(
    qtbot,
    view,
    store,
    monkeypatch,
):
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    set_settings(store, zoom_personal_url="https://zoom.us/my/alice")
    view.reload()
    assert view.start_zoom_button.isVisibleTo(view) and not view.zoom_button.isVisibleTo(view)
    qtbot.mouseClick(view.start_zoom_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: stored(store).zoom_url == "https://zoom.us/my/alice", timeout=5000)
    qtbot.waitUntil(lambda: view.zoom_button.isVisibleTo(view), timeout=5000)
    qtbot.mouseClick(view.zoom_button, Qt.MouseButton.LeftButton)
    assert opened[-1] == QUrl("https://zoom.us/my/alice").toString()
