"""The issue templates page: the list, and a form with the name and a Markdown editor beside
its live preview.

Create, rename, duplicate and delete are the `console.admin.templates` calls the command line
makes, run on the writer; deleting the template in use is refused by that call, and its
reason shown. A folder of `.md` files (GitLab's `.gitlab/issue_templates/`) imports and
exports: the files are read and written here, the store is changed on the writer.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QCheckBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin import templates as templates_admin
from console.views.confirm import Confirmation
from console.views.context import ViewContext
from console.views.markdown_editor import MarkdownEditor
from console.views.name_dialog import NameDialog, name_check

REFRESH_DELAY_MS = 1000
NAME_ROLE = Qt.ItemDataRole.UserRole + 1
PLACEHOLDER = "Markdown. Quick actions (/label ~incident) and metrics links work here."


class TemplatesView(QWidget):
    """Issue templates: list on the left, the selected one on the right."""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.contents: dict[str, str] = {}
        self.in_use = ""
        self.current: str | None = None
        self.name_dialog: NameDialog | None = None
        self.confirm_box: Confirmation | None = None
        self.list = QListWidget()
        self.buttons: dict[str, QPushButton] = {}
        bar = QHBoxLayout()
        for key, text, slot in (
            ("new", "New…", self.new),
            ("rename", "Rename…", self.rename),
            ("duplicate", "Duplicate…", self.duplicate),
            ("delete", "Delete…", self.delete),
            ("import", "Import folder…", self.import_folder),
            ("export", "Export folder…", self.export_folder),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        self.replace_on_import = QCheckBox("Import replaces templates of the same name")
        self.name = QLineEdit()
        self.name.setEnabled(False)
        self.name_error = QLabel()
        self.name_error.setObjectName("errorLine")
        self.name_error.hide()
        self.editor = MarkdownEditor("Template", PLACEHOLDER)
        self.message = QLabel()
        self.message.setWordWrap(True)

        right = QWidget()
        form = QFormLayout()
        form.addRow("Name:", self.name)
        form.addRow("", self.name_error)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.addLayout(form)
        right_layout.addWidget(self.editor, 1)
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.list)
        split.addWidget(right)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.replace_on_import)
        layout.addWidget(split, 1)
        layout.addWidget(self.message)

        self._refresh_delay = QTimer(self)
        self._refresh_delay.setSingleShot(True)
        self._refresh_delay.setInterval(REFRESH_DELAY_MS)
        self._refresh_delay.timeout.connect(self.refresh)
        ctx.updates.changed.connect(self._changed)
        self.list.currentItemChanged.connect(self._current_moved)
        self.editor.edit_button.clicked.connect(self._editing_started)
        self.editor.cancel_button.clicked.connect(self._editing_cancelled)
        self.editor.save_requested.connect(self.save)
        self.name.textChanged.connect(self._check_name)
        self.refresh()

    # --- list ----------------------------------------------------------------------------

    def refresh(self) -> None:
        """Read the templates again, keeping the selection (and any edit under way)."""
        with self.ctx.store.read() as session:
            self.contents = {t.name: t.content for t in templates_admin.list_all(session)}
            self.in_use = templates_admin.in_use(session)
        keep = self.current
        self.list.blockSignals(True)
        self.list.clear()
        for name in self.contents:
            item = QListWidgetItem(f"{name}  (in use)" if name == self.in_use else name)
            item.setData(NAME_ROLE, name)
            self.list.addItem(item)
        self.list.blockSignals(False)
        if keep in self.contents or (keep is None and self.contents):
            self.select(keep or next(iter(self.contents)))
        else:
            self.current = None
            self._show(None)

    def select(self, name: str) -> None:
        """Select template `name` and show it."""
        for row in range(self.list.count()):
            if self.list.item(row).data(NAME_ROLE) == name:
                self.list.setCurrentRow(row)
                break
        self.current = name
        self._show(name)

    def _current_moved(self, item: QListWidgetItem | None, _previous: object) -> None:
        self.current = str(item.data(NAME_ROLE)) if item is not None else None
        self.editor.stop_editing()
        self._show(self.current)

    def _show(self, name: str | None) -> None:
        if not self.editor.is_editing:
            self.name.setText(name or "")
            self.name.setEnabled(False)
            self.editor.set_text(self.contents.get(name, "") if name else "")
        for key in ("rename", "duplicate", "delete"):
            self.buttons[key].setEnabled(name is not None)
        self.editor.edit_button.setEnabled(name is not None and not self.editor.is_editing)
        self.buttons["export"].setEnabled(bool(self.contents))

    def _changed(self, _alerts: list[int], _incidents: list[int]) -> None:
        if not self._refresh_delay.isActive():
            self._refresh_delay.start()

    # --- edit form -------------------------------------------------------------------------

    def _editing_started(self) -> None:
        self.name.setEnabled(True)
        self._check_name()

    def _editing_cancelled(self) -> None:
        self.name.setText(self.current or "")
        self.name.setEnabled(False)
        self.name_error.hide()
        self._show(self.current)

    def _taken(self) -> set[str]:
        return set(self.contents) - {self.current or ""}

    def _check_name(self, *_signal_args: object) -> None:
        reason = name_check(templates_admin.check_name, self._taken)(self.name.text())
        self.name_error.setText(reason or "")
        self.name_error.setVisible(bool(reason) and self.name.isEnabled())
        self.editor.save_button.setEnabled(reason is None)

    def save(self, content: str) -> None:
        """Store the name and content of the template being edited, in one transaction."""
        old = self.current
        if old is None:
            return
        new = self.name.text().strip()

        def change(session: Session) -> str:
            template = templates_admin.rename(session, old, new) if new != old else None
            return templates_admin.save(
                session, new if template else old, content, replace=True
            ).name

        def after(saved: Any) -> None:
            self.current = str(saved)
            self.editor.stop_editing()
            self.name.setEnabled(False)
            self.refresh()
            self.message.setText(f"Template {saved!r} saved.")

        self._run(change, after)

    # --- actions ---------------------------------------------------------------------------

    def _run(
        self, fn: Callable[[Session], Any], after: Callable[[Any], None] | None = None
    ) -> None:
        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.message.setText(f"Refused: {error}")
                return
            self.refresh()
            if after is not None:
                after(result)

        self.ctx.actions.run(fn, done)

    def _ask_name(self, title: str, initial: str, then: Callable[[str], None]) -> None:
        dialog = NameDialog(
            title,
            "Name:",
            name_check(templates_admin.check_name, lambda: set(self.contents)),
            initial=initial,
            parent=self,
        )
        dialog.chosen.connect(lambda name, _kind: then(name))
        self.name_dialog = dialog
        dialog.open()

    def _then_select(self, done: str) -> Callable[[Any], None]:
        def after(template_name: Any) -> None:
            self.select(str(template_name))
            self.message.setText(done.format(name=template_name))

        return after

    def new(self) -> None:
        """Create an empty template and open it for editing."""

        def create(name: str) -> None:
            def opened(saved: Any) -> None:
                self.select(str(saved))
                self.editor.start_editing()
                self._editing_started()

            self._run(lambda s: templates_admin.save(s, name, "").name, opened)

        self._ask_name("New template", "", create)

    def rename(self) -> None:
        """Rename the selected template (the issue template setting follows it)."""
        old = self.current
        if old is not None:
            self._ask_name(
                f"Rename {old}",
                old,
                lambda name: self._run(
                    lambda s: templates_admin.rename(s, old, name).name,
                    self._then_select("Renamed to {name!r}."),
                ),
            )

    def duplicate(self) -> None:
        """Copy the selected template under another name."""
        old = self.current
        if old is not None:
            self._ask_name(
                f"Duplicate {old}",
                f"{old} (copy)",
                lambda name: self._run(
                    lambda s: templates_admin.duplicate(s, old, name).name,
                    self._then_select("Duplicated as {name!r}."),
                ),
            )

    def delete(self) -> None:
        """Delete the selected template after confirmation (refused for the one in use)."""
        name = self.current
        if name is None:
            return
        box = Confirmation("Delete", f"Delete the template {name!r}?", self)
        box.confirmed.connect(lambda: self._delete(name))
        self.confirm_box = box
        box.open()

    def _delete(self, name: str) -> None:
        self._run(
            lambda s: templates_admin.delete(s, name),
            lambda _r: self.message.setText(f"Template {name!r} deleted."),
        )

    def choose_folder(self, title: str) -> str:
        """Ask for a folder (a separate method so tests can answer it)."""
        return QFileDialog.getExistingDirectory(self, title)

    def import_folder(self) -> None:
        """Add every `.md` file of a chosen folder as a template."""
        folder = self.choose_folder("Import issue templates from a folder")
        if not folder:
            return
        try:
            items = templates_admin.read_folder(folder)
        except AdminError as exc:
            self.message.setText(f"Refused: {exc}")
            return
        replace = self.replace_on_import.isChecked()

        def report(result: Any) -> None:
            parts = [
                f"{len(result.added)} added",
                f"{len(result.replaced)} replaced",
                f"{len(result.skipped)} skipped (already here: {', '.join(result.skipped)})"
                if result.skipped
                else "",
            ]
            self.message.setText(f"Imported from {folder}: " + ", ".join(p for p in parts if p))

        self._run(lambda s: templates_admin.import_templates(s, items, replace=replace), report)

    def export_folder(self) -> None:
        """Write every template to a chosen folder as `<name>.md`."""
        folder = self.choose_folder("Export issue templates to a folder")
        if not folder:
            return
        try:
            written = templates_admin.write_folder(folder, self.contents.items())
        except AdminError as exc:
            self.message.setText(f"Refused: {exc}")
            return
        self.message.setText(f"Exported {len(written)} templates to {Path(folder)}.")
