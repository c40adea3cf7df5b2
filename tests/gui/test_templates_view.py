"""The issue templates page: list, edit beside a live preview, create/rename/duplicate/delete,
import and export folders."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt

from console.admin import settings as settings_admin
from console.admin import templates as templates_admin
from console.views.templates_view import TemplatesView
from tests.conftest import set_settings


def click(qtbot, button) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def stored(store) -> dict[str, str]:
    with store.read() as session:
        return {t.name: t.content for t in templates_admin.list_all(session)}


@pytest.fixture
def view(qtbot, ctx, store):
    with store.write() as session:
        templates_admin.save(session, "Incident", "## Summary\n\n- [ ] page on-call\n")
        templates_admin.save(session, "Postmortem", "## Timeline\n")
    set_settings(store, issue_template="Incident")
    shown = TemplatesView(ctx)
    qtbot.addWidget(shown)
    shown.resize(1100, 600)
    shown.show()
    return shown


def items(view) -> list[str]:
    return [view.list.item(row).text() for row in range(view.list.count())]


def select(view, name: str) -> None:
    view.select(name)
    assert view.current == name


def answer_name(qtbot, view, name: str) -> None:
    dialog = view.name_dialog
    dialog.name.clear()
    qtbot.keyClicks(dialog.name, name)
    assert dialog.ok_button.isEnabled(), dialog.error.text()
    click(qtbot, dialog.ok_button)


def test_lists_templates_and_marks_the_one_in_use(view):
    assert items(view) == ["Incident  (in use)", "Postmortem"]
    assert view.current == "Incident"
    assert "page on-call" in view.editor.view.toPlainText()
    assert view.name.text() == "Incident" and not view.name.isEnabled()


def test_edit_with_live_preview_then_save_name_and_content_at_once(qtbot, view, store):
    select(view, "Postmortem")
    click(qtbot, view.editor.edit_button)
    assert view.editor.is_editing and view.name.isEnabled()
    view.editor.editor.setFocus()
    view.editor.editor.moveCursor(view.editor.editor.textCursor().MoveOperation.End)
    qtbot.keyClick(view.editor.editor, Qt.Key.Key_Return)
    qtbot.keyClicks(view.editor.editor, "**Root cause**: disk full")
    qtbot.waitUntil(lambda: "Root cause" in view.editor.preview.toPlainText(), timeout=3000)
    assert "<b>Root cause</b>" in view.editor.preview.rendered.html or (
        "<strong>Root cause</strong>" in view.editor.preview.rendered.html
    )
    view.name.setText("Post-incident review")
    click(qtbot, view.editor.save_button)
    qtbot.waitUntil(lambda: "Post-incident review" in stored(store), timeout=5000)
    assert stored(store)["Post-incident review"] == "## Timeline\n\n**Root cause**: disk full"
    assert "Postmortem" not in stored(store)
    qtbot.waitUntil(lambda: not view.editor.is_editing, timeout=2000)
    assert view.current == "Post-incident review" and "saved" in view.message.text()


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("", "needs a name"), ("a/b", "cannot hold /"), ("Incident", "taken"), (".x", "dot")],
)
def test_each_invalid_name_is_said_and_blocks_save(qtbot, view, store, name, fragment):
    select(view, "Postmortem")
    click(qtbot, view.editor.edit_button)
    view.name.setText(name)
    assert view.name_error.isVisible() and fragment in view.name_error.text()
    assert not view.editor.save_button.isEnabled()
    assert stored(store)["Postmortem"] == "## Timeline\n"


def test_cancel_leaves_the_template_as_it_was(qtbot, view, store):
    before = stored(store)
    select(view, "Postmortem")
    click(qtbot, view.editor.edit_button)
    qtbot.keyClicks(view.editor.editor, "never saved")
    view.name.setText("Renamed")
    click(qtbot, view.editor.cancel_button)
    assert not view.editor.is_editing
    assert view.name.text() == "Postmortem" and not view.name.isEnabled()
    assert stored(store) == before


def test_new_template_opens_in_the_editor(qtbot, view, store):
    click(qtbot, view.buttons["new"])
    dialog = view.name_dialog
    assert not dialog.ok_button.isEnabled()
    qtbot.keyClicks(dialog.name, "Incident")
    assert "taken" in dialog.error.text() and not dialog.ok_button.isEnabled()
    answer_name(qtbot, view, "Security incident")
    qtbot.waitUntil(lambda: view.current == "Security incident", timeout=5000)
    assert view.editor.is_editing and stored(store)["Security incident"] == ""


def test_rename_follows_the_setting_and_duplicate_copies(qtbot, view, store):
    click(qtbot, view.buttons["rename"])
    answer_name(qtbot, view, "Major incident")
    qtbot.waitUntil(lambda: "Major incident" in stored(store), timeout=5000)
    with store.read() as session:
        assert settings_admin.load_settings(session)["issue_template"] == "Major incident"
    qtbot.waitUntil(lambda: items(view)[0] == "Major incident  (in use)", timeout=5000)
    click(qtbot, view.buttons["duplicate"])
    assert view.name_dialog.name.text() == "Major incident (copy)"
    click(qtbot, view.name_dialog.ok_button)
    qtbot.waitUntil(lambda: "Major incident (copy)" in stored(store), timeout=5000)
    assert stored(store)["Major incident (copy)"] == stored(store)["Major incident"]


def test_delete_asks_and_the_template_in_use_is_refused(qtbot, view, store):
    click(qtbot, view.buttons["delete"])  # "Incident" is in use
    click(qtbot, view.confirm_box.action_button)
    qtbot.waitUntil(lambda: "Refused" in view.message.text(), timeout=5000)
    assert "in use" in view.message.text() and "Incident" in stored(store)
    select(view, "Postmortem")
    click(qtbot, view.buttons["delete"])
    click(qtbot, view.confirm_box.cancel_button)
    qtbot.wait(100)
    assert "Postmortem" in stored(store)
    click(qtbot, view.buttons["delete"])
    click(qtbot, view.confirm_box.action_button)
    qtbot.waitUntil(lambda: "Postmortem" not in stored(store), timeout=5000)
    qtbot.waitUntil(lambda: items(view) == ["Incident  (in use)"], timeout=5000)


def test_import_a_folder_then_export_it(qtbot, view, store, tmp_path, monkeypatch):
    folder = tmp_path / ".gitlab" / "issue_templates"
    folder.mkdir(parents=True)
    (folder / "Incident.md").write_text("## New summary\n", encoding="utf-8")
    (folder / "Bug.md").write_text("## Steps\n", encoding="utf-8")
    monkeypatch.setattr(view, "choose_folder", lambda _title: str(folder))
    click(qtbot, view.buttons["import"])
    qtbot.waitUntil(lambda: "Bug" in stored(store), timeout=5000)
    assert stored(store)["Incident"].startswith("## Summary")  # existing one skipped
    qtbot.waitUntil(lambda: "skipped" in view.message.text(), timeout=2000)
    assert "1 added" in view.message.text()
    view.replace_on_import.setChecked(True)
    click(qtbot, view.buttons["import"])
    qtbot.waitUntil(lambda: stored(store)["Incident"] == "## New summary\n", timeout=5000)

    out = tmp_path / "export"
    monkeypatch.setattr(view, "choose_folder", lambda _title: str(out))
    qtbot.waitUntil(lambda: items(view)[0] == "Bug", timeout=5000)
    click(qtbot, view.buttons["export"])
    assert sorted(p.name for p in out.iterdir()) == ["Bug.md", "Incident.md", "Postmortem.md"]
    assert "Exported 3 templates" in view.message.text()


def test_a_bad_folder_is_refused_plainly(qtbot, view, store, tmp_path, monkeypatch):
    (tmp_path / "Broken.md").write_bytes(b"\xff\xfe")
    monkeypatch.setattr(view, "choose_folder", lambda _title: str(tmp_path))
    click(qtbot, view.buttons["import"])
    assert "Refused: cannot import Broken.md" in view.message.text()
    assert sorted(stored(store)) == ["Incident", "Postmortem"]
