"""Custom field mapping in a form: paths from a sample, typed; saved mapping used by the
listener (a title under a custom path becomes the alert's title)."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialog

from console.admin import integrations as integrations_admin
from console.models import Alert
from console.queries import integration_json
from console.views.mapping_view import MappingDialog
from tests.conftest import run_cli

SAMPLE = {
    "alert": {
        "name": "Queue depth high",
        "labels": [{"host": "mq-1"}, {"host": "mq-2"}],
        "fired": "2026-01-05T10:00:00Z",
        "level": "warning",
        "count": 3,
    },
    "targets": ["mq-1", "mq-2"],
}


def mapping_of(store, name: str) -> dict:
    with store.read() as session:
        return integration_json(integrations_admin.find(session, name))["mapping"]


@pytest.fixture
def dialog(qtbot, ctx, gui_endpoint):
    shown = MappingDialog(ctx, gui_endpoint.name, {})
    qtbot.addWidget(shown)
    shown.show()
    return shown


def paste(qtbot, dialog, payload) -> None:
    dialog.sample.setPlainText(payload if isinstance(payload, str) else json.dumps(payload))
    dialog.parse()  # what the short typing pause would do


def test_paths_of_the_sample_are_offered_with_their_type(qtbot, dialog):
    paste(qtbot, dialog, SAMPLE)
    assert dialog.found.text() == "9 paths found in the sample"
    assert dialog.offered("title") == [
        "",
        "alert/name",
        "alert/labels[0]/host",
        "alert/labels[1]/host",
        "alert/fired",
        "alert/level",
        "targets[0]",
        "targets[1]",
    ]
    assert dialog.offered("start_time") == ["", "alert/fired"]  # date-times only
    assert "alert/labels" in dialog.offered("hosts") and "targets" in dialog.offered("hosts")
    combo = dialog.combos["start_time"]
    assert combo.itemText(0) == "Default: start_time"
    assert combo.itemText(1) == "alert/fired  (datetime)"
    assert (
        dialog.combos["environment"].itemText(0).endswith("gitlab_environment_name or environment")
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [('{"alert": ', "not valid JSON"), ("[1, 2]", "JSON object")],
)
def test_an_unreadable_sample_is_said_and_blocks_save(qtbot, dialog, text, fragment):
    paste(qtbot, dialog, text)
    assert dialog.sample_error.isVisible() and fragment in dialog.sample_error.text()
    assert not dialog.save_button.isEnabled()


def test_typing_a_sample_parses_it_after_a_pause(qtbot, dialog):
    dialog.sample.setPlainText(json.dumps(SAMPLE))
    qtbot.waitUntil(lambda: "alert/name" in dialog.offered("title"), timeout=3000)


def test_saved_mapping_is_what_the_listener_uses(qtbot, dialog, store, background, gui_endpoint):
    paste(qtbot, dialog, SAMPLE)
    assert dialog.choose("title", "alert/name")
    assert dialog.choose("hosts", "targets")
    assert dialog.choose("severity", "alert/level")
    with qtbot.waitSignal(dialog.saved, timeout=5000):
        qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    expected = {"title": "alert/name", "hosts": "targets", "severity": "alert/level"}
    assert mapping_of(store, dialog.name) == expected
    shown = run_cli("integrations", "show", dialog.name, "--json", db_url=store.url)
    assert json.loads(shown.stdout)["mapping"] == expected

    asyncio.run_coroutine_threadsafe(
        background.runtime.listener.registry.refresh(), background.loop
    ).result(10)
    payload = {"alert": {"name": "Disk queue stuck", "level": "low"}, "targets": ["db-1"]}
    answer = httpx.post(gui_endpoint.url, json=payload, headers=gui_endpoint.headers, timeout=5)
    assert answer.status_code == 200, answer.text
    [result] = answer.json()
    assert result["title"] == "Disk queue stuck"
    with store.read() as session:
        alert = session.get(Alert, result["iid"])
        assert (alert.title, alert.hosts, alert.severity) == ("Disk queue stuck", "db-1", "low")


def test_existing_mapping_is_kept_and_can_be_reset(qtbot, ctx, store, gui_endpoint):
    with store.write() as session:
        integrations_admin.set_mapping(session, gui_endpoint.name, ["title=payload/summary"])
    shown = MappingDialog(ctx, gui_endpoint.name, mapping_of(store, gui_endpoint.name))
    qtbot.addWidget(shown)
    assert shown.combos["title"].currentText() == "payload/summary  (saved; not in the sample)"
    paste(qtbot, shown, SAMPLE)
    assert shown.mapping() == {"title": "payload/summary"}  # kept across a new sample
    shown.combos["title"].setCurrentIndex(0)  # back to the default key
    with qtbot.waitSignal(shown.saved, timeout=5000):
        qtbot.mouseClick(shown.save_button, Qt.MouseButton.LeftButton)
    assert mapping_of(store, gui_endpoint.name) == {}


def test_cancel_changes_nothing(qtbot, dialog, store):
    paste(qtbot, dialog, SAMPLE)
    dialog.choose("title", "alert/name")
    qtbot.mouseClick(dialog.cancel_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert mapping_of(store, dialog.name) == {}


def test_a_refused_save_is_shown(qtbot, dialog, store):
    paste(qtbot, dialog, SAMPLE)
    dialog.choose("title", "alert/name")
    with store.write() as session:
        integrations_admin.delete(session, dialog.name)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(dialog.error.isVisible, timeout=5000)
    assert "no integration named" in dialog.error.text()
