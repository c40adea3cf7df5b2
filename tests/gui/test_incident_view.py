"""The incident view: fields, edits through the writer, notes, close/reopen, safe Markdown."""

from __future__ import annotations

import httpx
import pytest
from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QTextDocument
from sqlalchemy import select

from console.engine import incident_edits
from console.models import Alert, Incident, Note
from console.views.incident_view import IncidentView
from tests.conftest import set_settings


def post(endpoint, title: str, severity: str = "critical", **extra):
    body = {"title": title, "severity": severity, "fingerprint": title, **extra}
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


@pytest.fixture
def view(qtbot, ctx, gui_endpoint, store):
    set_settings(store, create_incident="true")
    post(gui_endpoint, "Disk full on db-1", "high", service="storage")
    shown = IncidentView(ctx)
    qtbot.addWidget(shown)
    shown.resize(1200, 800)
    shown.show()
    assert shown.show_incident(1)
    return shown


def stored(store, iid: int = 1) -> Incident:
    with store.read() as session:
        incident = session.get(Incident, iid)
        assert incident is not None
        return incident


def system_notes(store, iid: int = 1) -> list[str]:
    with store.read() as session:
        return list(
            session.scalars(
                select(Note.body).where(Note.incident_iid == iid, Note.system).order_by(Note.id)
            )
        )


def test_shows_the_incident(view):
    assert view.number.text() == "#1"
    assert view.title.text() == "Disk full on db-1"
    assert view.status.text() == "Open"
    assert view.severity.currentData() == "high"
    assert view.labels.text() == "incident"
    assert view.alerts.count() == 1 and "#1 Disk full on db-1" in view.alerts.item(0).text()
    assert "Summary" in view.description.view.toPlainText()
    assert "storage" in view.description.view.toPlainText()


def test_missing_incident_is_said_plainly(qtbot, ctx):
    view = IncidentView(ctx)
    qtbot.addWidget(view)
    assert not view.show_incident(42)
    assert "no incident #42" in view.title.text()
    assert not view.close_button.isEnabled()


def test_severity_labels_assignees_and_title_edits_go_through_the_writer(qtbot, view, store):
    view.severity.setCurrentIndex(view.severity.findData("critical"))
    view.severity.activated.emit(view.severity.currentIndex())
    qtbot.waitUntil(lambda: stored(store).severity == "critical", timeout=5000)

    view.labels.setText("incident, database, ~needs review")
    view.labels.editingFinished.emit()
    qtbot.waitUntil(
        lambda: stored(store).labels == ["incident", "database", "needs review"], timeout=5000
    )
    view.assignees.setText("@alice, bob")
    view.assignees.editingFinished.emit()
    qtbot.waitUntil(lambda: stored(store).assignees == ["alice", "bob"], timeout=5000)
    view.title.setText("Disk full on db-1 and db-2")
    view.title.editingFinished.emit()
    qtbot.waitUntil(lambda: stored(store).title == "Disk full on db-1 and db-2", timeout=5000)

    assert system_notes(store)[-4:] == [
        "changed severity to **critical**",
        'added ~database ~"needs review" labels',
        "assigned to @alice @bob",
        "changed title from **Disk full on db-1** to **Disk full on db-1 and db-2**",
    ]
    qtbot.waitUntil(lambda: "assigned to @alice @bob" in view.activity.toPlainText(), timeout=2000)


def test_refused_edit_is_shown_not_raised(qtbot, view, store):
    view.title.setText("x" * 300)
    view.title.editingFinished.emit()
    qtbot.waitUntil(view.error.isVisible, timeout=5000)
    assert "longer than 255" in view.error.text()
    assert stored(store).title == "Disk full on db-1"


def test_ctrl_enter_posts_a_markdown_note(qtbot, view, store):
    view.composer.setFocus()
    qtbot.keyClicks(view.composer, "Restarted **db-1**")
    qtbot.keyClick(view.composer, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)

    def comments() -> list[str]:
        with store.read() as session:
            return list(session.scalars(select(Note.body).where(Note.system.is_(False))))

    qtbot.waitUntil(lambda: comments() == ["Restarted **db-1**"], timeout=5000)
    qtbot.waitUntil(lambda: view.composer.toPlainText() == "", timeout=2000)
    assert "Restarted db-1" in view.activity.toPlainText()
    assert "<b>db-1</b>" in view.activity.rendered.html or "<strong>db-1</strong>" in (
        view.activity.rendered.html
    )
    # A plain Return is a new line, not a post.
    qtbot.keyClicks(view.composer, "line one")
    qtbot.keyClick(view.composer, Qt.Key.Key_Return)
    assert view.composer.toPlainText() == "line one\n"


def test_close_resolves_the_alert_and_reopen_reopens(qtbot, view, store):
    qtbot.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text() == "Closed", timeout=5000)
    assert stored(store).status == "closed"
    with store.read() as session:
        assert session.get(Alert, 1).status == "resolved"
    assert view.close_button.text() == "Reopen incident"
    assert "resolved" in view.alerts.item(0).text()
    qtbot.mouseClick(view.close_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: view.status.text() == "Open", timeout=5000)
    assert system_notes(store)[-2:] == ["closed", "reopened"]


def test_description_editor_has_a_live_preview_and_saves(qtbot, view, store):
    editor = view.description
    qtbot.mouseClick(editor.edit_button, Qt.MouseButton.LeftButton)
    assert editor.is_editing
    editor.editor.setPlainText("## Impact\n\n- [x] paged\n- [ ] fixed\n\n<script>x</script>")
    qtbot.waitUntil(lambda: "Impact" in editor.preview.toPlainText(), timeout=2000)
    preview = editor.preview.toPlainText()
    assert "☑ paged" in preview and "☐ fixed" in preview and "<script>x</script>" in preview
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not editor.is_editing, timeout=5000)
    assert stored(store).description.startswith("## Impact")
    assert system_notes(store)[-1] == "changed the description"
    assert "Impact" in editor.view.toPlainText()


def test_links_open_only_where_they_may(qtbot, view, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: opened.append(url.toString()))
    browser = view.description.view
    assert not browser.openLinks() and not browser.openExternalLinks()
    for url in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "ftp://x/y"):
        browser.anchorClicked.emit(QUrl(url))
    assert opened == []
    browser.anchorClicked.emit(QUrl("https://example.com/runbook"))
    browser.anchorClicked.emit(QUrl("mailto:oncall@example.com"))
    assert opened == ["https://example.com/runbook", "mailto:oncall@example.com"]
    with qtbot.waitSignal(view.open_incident, timeout=1000) as incident:
        browser.anchorClicked.emit(QUrl("incident-console://incident/7"))
    assert incident.args == [7]
    with qtbot.waitSignal(view.open_alert, timeout=1000) as alert:
        view.activity.anchorClicked.emit(QUrl("incident-console://alert/3"))
    assert alert.args == [3]


def test_hostile_description_renders_as_text_and_fetches_nothing(qtbot, ctx, store):
    with store.write() as session:
        session.add(
            Incident(
                iid=5,
                title="t",
                labels=[],
                assignees=[],
                description=(
                    '<img src="http://tracker.example/p.png" onerror="x()">\n\n'
                    "![chart](http://tracker.example/chart.png)\n\n[run](javascript:alert(1))"
                ),
            )
        )
    view = IncidentView(ctx)
    qtbot.addWidget(view)
    view.show_incident(5)
    html = view.description.view.rendered.html
    assert "<img" not in html and "javascript" not in html
    assert '<img src="http' in view.description.view.toPlainText()
    assert (
        view.description.view.loadResource(
            QTextDocument.ResourceType.ImageResource, QUrl("http://tracker.example/p.png")
        )
        is None
    )
    assert "[image: chart]" in view.description.view.toPlainText()


def test_metrics_links_leave_a_placeholder_for_charts(qtbot, ctx, store):
    with store.write() as session:
        session.add(
            Incident(
                iid=6,
                title="t",
                labels=[],
                assignees=[],
                description="Load:\n\nhttp://prom:9090/graph?g0.expr=up\n",
            )
        )
    view = IncidentView(ctx)
    qtbot.addWidget(view)
    view.show_incident(6)
    assert view.description.view.rendered.embed_rows == [2]
    assert "Metrics chart" in view.description.view.toPlainText()


def test_clicking_a_linked_alert_opens_it(qtbot, view):
    item = view.alerts.item(0)
    with qtbot.waitSignal(view.open_alert, timeout=1000) as opened:
        qtbot.mouseClick(
            view.alerts.viewport(),
            Qt.MouseButton.LeftButton,
            pos=view.alerts.visualItemRect(item).center(),
        )
    assert opened.args == [1]


def test_changes_from_elsewhere_show_up(qtbot, view, store):
    with store.write() as session:
        incident_edits.add_note(session, 1, "from the command line", "someone")
    qtbot.waitUntil(lambda: "from the command line" in view.activity.toPlainText(), timeout=6000)


def test_history_filter(qtbot, view, store):
    with store.write() as session:
        incident_edits.add_note(session, 1, "a comment", "bob")
        incident_edits.set_severity(session, 1, "low", "bob")
    view.reload()
    view.activity_filter.setCurrentIndex(view.activity_filter.findData("history"))
    assert "changed severity" in view.activity.toPlainText()
    assert "a comment" not in view.activity.toPlainText()
    view.activity_filter.setCurrentIndex(view.activity_filter.findData("comments"))
    assert "a comment" in view.activity.toPlainText()
    assert "changed severity" not in view.activity.toPlainText()
