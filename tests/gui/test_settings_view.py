"""The incident settings form: reasons as the admin types, one-transaction saves, cancel, and
the listener moved live."""

from __future__ import annotations

import dataclasses
import socket

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from console import config
from console.admin import settings as settings_admin
from console.admin import templates as templates_admin
from console.views.settings_view import SettingsDialog


def stored(store) -> dict:
    with store.read() as session:
        return settings_admin.load_settings(session)


def add_template(store, name: str) -> None:
    with store.write() as session:
        templates_admin.save(session, name, "## Summary\n")


@pytest.fixture
def dialog(qtbot, ctx, store, background):
    add_template(store, "Incident")
    add_template(store, "Postmortem")
    shown = SettingsDialog(ctx, background)
    qtbot.addWidget(shown)
    shown.show()
    return shown


def type_into(qtbot, dialog, key: str, text: str) -> None:
    line = dialog.show_field(key).line
    line.setFocus()
    line.clear()
    qtbot.keyClicks(line, text)


def click_save(qtbot, dialog) -> None:
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_every_option_has_an_editor_with_the_stored_value(dialog):
    assert set(dialog.fields) == set(config.OPTIONS_BY_KEY)
    assert dialog.field("listen_port").text() == str(config.DEFAULT_PORT)
    assert dialog.field("smtp_security").text() == "starttls"
    assert dialog.field("sound_severities").text() == "critical"
    template = dialog.field("issue_template").combo
    assert [template.itemText(i) for i in range(template.count())] == [
        "No template",
        "Incident",
        "Postmortem",
    ]
    assert not dialog.save_button.isEnabled()  # nothing changed yet
    assert dialog.listening.text() == dialog.ctx.listener.url
    assert "in the store" in dialog.secrets_note.text()  # no OS keyring on a test machine


@pytest.mark.parametrize(
    ("key", "text", "fragment"),
    [
        ("listen_port", "99999", "at most 65535"),
        ("listen_port", "eighty", "whole number"),
        ("listen_host", "not a host", "IP address"),
        ("email_recipients", "oncall@example.com, nobody", "nobody"),
        ("smtp_port", "0", "at least 1"),
        ("smtp_from", "alerts", "not an email address"),
        ("slack_webhook_url", "hooks.slack.com/services/x", "http:// or https://"),
        ("slack_trigger", "/incident now", "spaces"),
        ("zoom_personal_url", "http://zoom.us/j/1", "https://"),
        ("prometheus_urls", "http://prom:9090, prom2", "prom2"),
        ("grafana_url", "grafana", "http:// or https://"),
    ],
)
def test_each_invalid_input_shows_its_reason_and_disables_save(
    qtbot, dialog, store, key, text, fragment
):
    before = stored(store)
    type_into(qtbot, dialog, key, text)
    field = dialog.field(key)
    assert field.error.isVisible()
    assert fragment in field.reason
    assert not dialog.save_button.isEnabled()
    click_save(qtbot, dialog)  # a disabled button does nothing
    assert stored(store) == before


def test_secret_values_are_never_shown_in_a_reason(qtbot, dialog):
    type_into(qtbot, dialog, "slack_webhook_url", "hunter2-not-a-url")
    assert dialog.field("slack_webhook_url").reason
    assert "hunter2" not in dialog.field("slack_webhook_url").reason


def test_creating_incidents_needs_a_template(qtbot, dialog, store):
    dialog.field("create_incident").check.setChecked(True)
    assert "choose the issue template" in dialog.field("issue_template").reason
    assert not dialog.save_button.isEnabled()
    combo = dialog.field("issue_template").combo
    combo.setCurrentIndex(combo.findData("Postmortem"))
    assert dialog.field("issue_template").reason == ""
    assert dialog.save_button.isEnabled()


def test_email_needs_recipients_and_a_server(qtbot, dialog):
    dialog.field("send_email").check.setChecked(True)
    assert "recipient" in dialog.field("email_recipients").reason
    assert "SMTP server" in dialog.field("smtp_host").reason
    type_into(qtbot, dialog, "email_recipients", "oncall@example.com")
    type_into(qtbot, dialog, "smtp_host", "mail.example.com")
    assert dialog.save_button.isEnabled()


def test_save_applies_every_change_at_once(qtbot, dialog, store):
    dialog.field("create_incident").check.setChecked(True)
    combo = dialog.field("issue_template").combo
    combo.setCurrentIndex(combo.findData("Incident"))
    dialog.field("notify_severities").picker.boxes["info"].setChecked(False)
    dialog.field("theme").combo.setCurrentIndex(dialog.field("theme").combo.findData("dark"))
    type_into(qtbot, dialog, "smtp_port", "465")
    type_into(qtbot, dialog, "smtp_password", "mail-secret")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        click_save(qtbot, dialog)
    values = stored(store)
    assert values["create_incident"] is True and values["issue_template"] == "Incident"
    assert "info" not in values["notify_severities"]
    assert (values["theme"], values["smtp_port"]) == ("dark", 465)
    assert values["smtp_password"] == "mail-secret"
    # The secret is never put back into the form; it says it is set.
    assert dialog.field("smtp_password").line.text() == ""
    assert "set (hidden)" in dialog.field("smtp_password").line.placeholderText()
    assert not dialog.save_button.isEnabled() and "Saved 6" in dialog.status.text()


def test_remove_clears_a_secret(qtbot, dialog, store, ctx):
    type_into(qtbot, dialog, "grafana_token", "token-1")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        click_save(qtbot, dialog)
    assert stored(store)["grafana_token"] == "token-1"
    dialog.field("grafana_token").remove.setChecked(True)
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        click_save(qtbot, dialog)
    assert stored(store)["grafana_token"] == ""


def test_a_refusal_at_save_time_saves_nothing(qtbot, dialog, store):
    combo = dialog.field("issue_template").combo
    combo.setCurrentIndex(combo.findData("Postmortem"))
    dialog.field("auto_close_incident").check.setChecked(False)
    with store.write() as session:  # someone deletes the template meanwhile
        templates_admin.delete(session, "Postmortem")
    click_save(qtbot, dialog)
    qtbot.waitUntil(lambda: "Nothing was saved" in dialog.status.text(), timeout=5000)
    assert "does not exist" in dialog.field("issue_template").reason
    values = stored(store)
    assert values["issue_template"] == "" and values["auto_close_incident"] is True


def test_cancel_leaves_everything_as_it_was(qtbot, dialog, store):
    before = stored(store)
    dialog.field("incident_management").check.setChecked(False)
    type_into(qtbot, dialog, "smtp_host", "mail.example.com")
    type_into(qtbot, dialog, "smtp_password", "never-saved")
    type_into(qtbot, dialog, "listen_port", str(free_port()))
    listening = dialog.ctx.listener.url
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected and not dialog.isVisible()
    assert stored(store) == before
    assert dialog.ctx.listener.url == listening


def test_listener_moves_when_saved_and_the_form_says_where(qtbot, dialog, store, ctx):
    port = free_port()
    type_into(qtbot, dialog, "listen_port", str(port))
    with qtbot.waitSignal(dialog.saved, timeout=10000):
        click_save(qtbot, dialog)
    assert stored(store)["listen_port"] == port
    assert ctx.listener.url == f"http://127.0.0.1:{port}" == dialog.listening.text()
    assert httpx.get(f"{ctx.listener.url}/healthz", timeout=5).status_code == 200


def test_a_refused_address_saves_nothing_and_keeps_the_listener(qtbot, dialog, store, ctx):
    old = ctx.listener.url
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        type_into(qtbot, dialog, "listen_port", str(port))
        dialog.field("theme").combo.setCurrentIndex(dialog.field("theme").combo.findData("light"))
        click_save(qtbot, dialog)
        qtbot.waitUntil(lambda: "Nothing was saved" in dialog.status.text(), timeout=10000)
    assert f"cannot listen on 127.0.0.1:{port}" in dialog.field("listen_port").reason
    assert ctx.listener.url == old == dialog.listening.text()
    assert stored(store)["listen_port"] == config.DEFAULT_PORT
    assert stored(store)["theme"] == "system"


def test_without_a_listener_control_the_watcher_moves_it(qtbot, ctx, store):
    shown = SettingsDialog(ctx)
    qtbot.addWidget(shown)
    port = free_port()
    type_into(qtbot, shown, "listen_port", str(port))
    with qtbot.waitSignal(shown.saved, timeout=5000):
        click_save(qtbot, shown)
    qtbot.waitUntil(lambda: shown.listening.text() == f"http://127.0.0.1:{port}", timeout=5000)


def test_the_context_may_carry_the_listener_control(qtbot, ctx, store, background):
    shown = SettingsDialog(dataclasses.replace(ctx, listener_control=background))
    qtbot.addWidget(shown)
    port = free_port()
    type_into(qtbot, shown, "listen_port", str(port))
    with qtbot.waitSignal(shown.saved, timeout=10000):
        click_save(qtbot, shown)
    assert ctx.listener.url == f"http://127.0.0.1:{port}" == shown.listening.text()
