"""The integrations page: the list model, add/rename/activate/delete, tokens, test alerts."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from sqlalchemy import select

from console.admin import integrations as integrations_admin
from console.models import Alert, Integration
from console.views.integrations_model import IntegrationsModel
from console.views.integrations_view import IntegrationsView


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def integrations(store) -> dict[str, Integration]:
    with store.read() as session:
        return {i.name: i for i in session.scalars(select(Integration))}


def refresh_listener(background) -> None:
    asyncio.run_coroutine_threadsafe(
        background.runtime.listener.registry.refresh(), background.loop
    ).result(10)


@pytest.fixture
def view(qtbot, ctx, store):
    with store.write() as session:
        integrations_admin.create(session, "Prod Alertmanager", "prometheus")
        integrations_admin.create(session, "Uptime checks", "http")
    shown = IntegrationsView(ctx)
    qtbot.addWidget(shown)
    shown.resize(1100, 500)
    shown.show()
    return shown


def choose(view, name: str) -> None:
    row = next(n for n, r in enumerate(view.model.rows) if r.name == name)
    view.table.selectRow(row)


def answer_confirmation(qtbot, view, accept: bool) -> None:
    box = view.confirm_box
    assert box is not None and box.isVisible()
    click(qtbot, box.action_button if accept else box.cancel_button)


def test_the_model_passes_the_model_tester(qtmodeltester, ctx, store):
    with store.write() as session:
        integrations_admin.create(session, "one")
        integrations_admin.create(session, "two", "prometheus")
    model = IntegrationsModel(store, ctx.listener.url)
    qtmodeltester.check(model)
    assert model.rowCount() == 2 and model.columnCount() == 6


def test_list_shows_each_integration_and_copies_its_url(qtbot, view, ctx):
    model = view.model
    cells = [model.index(0, c).data() for c in range(model.columnCount())]
    assert cells[:3] == ["Prod Alertmanager", "Prometheus", "Active"]
    assert cells[3].startswith(f"{ctx.listener.url}/alerts/notify/prod-alertmanager/")
    assert cells[5] == "never"
    choose(view, "Uptime checks")
    click(qtbot, view.url.copy_button)
    copied = QGuiApplication.clipboard().text()
    assert copied == view.url.line.text()
    assert copied.startswith(f"{ctx.listener.url}/alerts/notify/uptime-checks/")


def test_add_checks_the_name_and_shows_a_working_token_once(qtbot, view, store, background):
    click(qtbot, view.buttons["add"])
    dialog = view.name_dialog
    assert dialog is not None and not dialog.ok_button.isEnabled()
    assert "needs a name" in dialog.error.text()
    qtbot.keyClicks(dialog.name, "Uptime checks")
    assert "taken" in dialog.error.text() and not dialog.ok_button.isEnabled()
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "Synthetic probes")
    assert dialog.ok_button.isEnabled() and not dialog.error.isVisible()
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: view.token_dialog is not None, timeout=5000)
    token = view.token_dialog.token.line.text()
    url = view.token_dialog.url.line.text()
    assert len(token) == 32 and "synthetic-probes" in url
    assert view.selected().name == "Synthetic probes"
    refresh_listener(background)
    answer = httpx.post(
        url, json={"title": "probe"}, headers={"Authorization": f"Bearer {token}"}, timeout=5
    )
    assert answer.status_code == 200, answer.text


def test_rename_keeps_the_url(qtbot, view, store):
    choose(view, "Uptime checks")
    url = view.url.line.text()
    click(qtbot, view.buttons["rename"])
    dialog = view.name_dialog
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "Prod Alertmanager")
    assert "taken" in dialog.error.text() and not dialog.ok_button.isEnabled()
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, "Uptime (blackbox)")
    click(qtbot, dialog.ok_button)
    qtbot.waitUntil(lambda: "Uptime (blackbox)" in integrations(store), timeout=5000)
    qtbot.waitUntil(lambda: view.selected().name == "Uptime (blackbox)", timeout=5000)
    assert view.url.line.text() == url


def test_deactivate_and_activate(qtbot, view, store):
    choose(view, "Uptime checks")
    assert view.buttons["active"].text() == "Deactivate"
    click(qtbot, view.buttons["active"])
    qtbot.waitUntil(lambda: not integrations(store)["Uptime checks"].active, timeout=5000)
    qtbot.waitUntil(lambda: view.buttons["active"].text() == "Activate", timeout=5000)
    assert view.model.index(1, 2).data() == "Inactive"
    click(qtbot, view.buttons["active"])
    qtbot.waitUntil(lambda: integrations(store)["Uptime checks"].active, timeout=5000)


def test_delete_asks_first(qtbot, view, store):
    choose(view, "Uptime checks")
    click(qtbot, view.buttons["delete"])
    assert "Uptime checks" in view.confirm_box.text()
    answer_confirmation(qtbot, view, accept=False)
    qtbot.wait(100)
    assert "Uptime checks" in integrations(store)
    click(qtbot, view.buttons["delete"])
    answer_confirmation(qtbot, view, accept=True)
    qtbot.waitUntil(lambda: "Uptime checks" not in integrations(store), timeout=5000)
    qtbot.waitUntil(lambda: view.model.rowCount() == 1, timeout=5000)


def test_regenerated_token_replaces_the_old_one(qtbot, view, store, ctx, background):
    with store.write() as session:
        old = integrations_admin.regenerate_token(session, "Uptime checks").token
    choose(view, "Uptime checks")
    click(qtbot, view.buttons["token"])
    answer_confirmation(qtbot, view, accept=True)
    qtbot.waitUntil(lambda: view.token_dialog is not None, timeout=5000)
    new = view.token_dialog.token.line.text()
    url = view.url.line.text()
    refresh_listener(background)
    body = {"title": "x"}
    assert httpx.post(url, json=body, headers={"Authorization": f"Bearer {old}"}).status_code == 401
    assert httpx.post(url, json=body, headers={"Authorization": f"Bearer {new}"}).status_code == 200


def test_send_test_alert_with_the_token_just_shown(qtbot, view, store, background):
    choose(view, "Prod Alertmanager")
    click(qtbot, view.buttons["token"])
    answer_confirmation(qtbot, view, accept=True)
    qtbot.waitUntil(lambda: view.token_dialog is not None, timeout=5000)
    view.token_dialog.close()
    refresh_listener(background)
    click(qtbot, view.buttons["test"])
    dialog = view.test_dialog
    assert '"version": "4"' in dialog.payload.toPlainText()  # Alertmanager example
    assert dialog.token.text() and not dialog.token_note.isVisible()
    with qtbot.waitSignal(dialog.answered, timeout=10000) as answered:
        click(qtbot, dialog.send_button)
    assert answered.args == [200]
    assert dialog.result_status.text() == "HTTP 200 OK"
    assert '"outcome"' in dialog.result_body.toPlainText()
    with store.read() as session:
        titles = list(session.scalars(select(Alert.title)))
    assert titles == ["Test alert: disk usage above 90%"]
    qtbot.waitUntil(lambda: view.model.index(0, 5).data() != "never", timeout=5000)


def test_send_test_alert_asks_for_the_token_and_checks_the_json(qtbot, view, background):
    choose(view, "Uptime checks")
    click(qtbot, view.buttons["test"])
    dialog = view.test_dialog
    assert '"title"' in dialog.payload.toPlainText()  # the generic example
    assert dialog.token.text() == "" and dialog.token_note.isVisible()
    assert "stored hashed" in dialog.token_note.text()
    assert not dialog.send_button.isEnabled()
    qtbot.keyClicks(dialog.token, "not-the-token")
    assert dialog.send_button.isEnabled()
    dialog.payload.setPlainText('{"title": "broken",')
    reason = dialog.payload_error.text()
    assert "not valid JSON" in reason and "line 1" in reason
    assert not dialog.send_button.isEnabled()
    click(qtbot, dialog.example_button)
    assert dialog.send_button.isEnabled()
    with qtbot.waitSignal(dialog.answered, timeout=10000) as answered:
        click(qtbot, dialog.send_button)
    assert answered.args == [401]
    assert "invalid token" in dialog.result_body.toPlainText()


def test_a_refused_action_is_shown(qtbot, view, store):
    choose(view, "Uptime checks")
    with store.write() as session:  # deleted elsewhere meanwhile
        integrations_admin.delete(session, "Uptime checks")
    click(qtbot, view.buttons["active"])
    qtbot.waitUntil(view.error.isVisible, timeout=5000)
    assert "no integration named 'Uptime checks'" in view.error.text()
