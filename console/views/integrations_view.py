"""The integrations page: the list, and every action on one integration.

Add, rename, activate/deactivate, delete (after confirmation), regenerate the token (shown
once), send a test alert, and the custom field mapping. Each action is the same
`console.admin.integrations` call the command line makes, run on the writer through
`ctx.actions`. A token shown here is kept in memory for this page only, so "Send test
alert" can use it; it is never written anywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from console.admin import integrations as integrations_admin
from console.admin.integrations import NewIntegration
from console.views.confirm import Confirmation
from console.views.context import ViewContext
from console.views.integrations_model import (
    TYPE_NAMES,
    URL_COLUMN,
    IntegrationRow,
    IntegrationsModel,
)
from console.views.mapping_view import MappingDialog
from console.views.name_dialog import NameDialog, name_check
from console.views.send_test_alert import TestAlertDialog
from console.views.token_dialog import CopyField, TokenDialog

REFRESH_DELAY_MS = 1000  # alerts move "last alert received": refresh at most once a second
LISTENER_POLL_MS = 1000


class IntegrationsView(QWidget):
    """Integrations with their URL (copyable) and actions."""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tokens: dict[str, str] = {}  # identifier → token shown in this page
        self.model = IntegrationsModel(ctx.store, ctx.listener.url, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(URL_COLUMN, QHeaderView.ResizeMode.Stretch)
        self.url = CopyField()
        self.error = QLabel()
        self.error.setObjectName("errorLine")
        self.error.setWordWrap(True)
        self.error.hide()
        self.buttons: dict[str, QPushButton] = {}
        self.name_dialog: NameDialog | None = None
        self.confirm_box: Confirmation | None = None
        self.token_dialog: TokenDialog | None = None
        self.test_dialog: TestAlertDialog | None = None
        self.mapping_dialog: MappingDialog | None = None

        bar = QHBoxLayout()
        for key, text, slot in (
            ("add", "Add integration…", self.add),
            ("rename", "Rename…", self.rename),
            ("active", "Deactivate", self.toggle_active),
            ("delete", "Delete…", self.delete),
            ("token", "Regenerate token…", self.regenerate_token),
            ("test", "Send test alert…", self.send_test_alert),
            ("mapping", "Field mapping…", self.edit_mapping),
        ):
            button = QPushButton(text)
            button.clicked.connect(slot)
            self.buttons[key] = button
            bar.addWidget(button)
        bar.addStretch(1)
        url_row = QHBoxLayout()
        url_row.addWidget(QLabel("URL:"))
        url_row.addWidget(self.url, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.table, 1)
        layout.addLayout(url_row)
        layout.addWidget(self.error)

        self._refresh_delay = QTimer(self)
        self._refresh_delay.setSingleShot(True)
        self._refresh_delay.setInterval(REFRESH_DELAY_MS)
        self._refresh_delay.timeout.connect(self.refresh)
        self._listener_poll = QTimer(self)
        self._listener_poll.setInterval(LISTENER_POLL_MS)
        self._listener_poll.timeout.connect(self._follow_listener)
        self._listener_poll.start()
        ctx.updates.changed.connect(self._changed)
        # Bound methods, not lambdas: Qt drops them when this page is deleted.
        self.table.selectionModel().selectionChanged.connect(self._selection_moved)
        self.model.modelReset.connect(self._selection_moved)
        self.model.dataChanged.connect(self._selection_moved)
        if self.model.rows:
            self.table.selectRow(0)
        self._selection_moved()

    # --- selection and refresh ---------------------------------------------------------------

    def selected(self) -> IntegrationRow | None:
        """The integration selected in the table."""
        rows = self.table.selectionModel().selectedRows()
        return self.model.row_at(rows[0].row()) if rows else None

    def select(self, identifier: str) -> None:
        """Select the integration with `identifier`."""
        row = self.model.row_of(identifier)
        if row is not None:
            self.table.selectRow(row)

    def refresh(self) -> None:
        """Read the integrations again, keeping the selection."""
        chosen = self.selected()
        self.model.refresh()
        if chosen is not None and self.selected() is None:
            self.select(chosen.identifier)
        self._selection_moved()

    def _changed(self, _alerts: list[int], _incidents: list[int]) -> None:
        self._changed_soon()

    def _changed_soon(self, *_signal_args: object) -> None:
        if not self._refresh_delay.isActive():
            self._refresh_delay.start()

    def _follow_listener(self) -> None:
        self.model.set_base_url(self.ctx.listener.url)
        self._selection_moved()

    def _selection_moved(self, *_signal_args: object) -> None:
        row = self.selected()
        for key, button in self.buttons.items():
            button.setEnabled(key == "add" or row is not None)
        self.buttons["active"].setText("Deactivate" if row is None or row.active else "Activate")
        self.url.set_text(self.model.url(row) if row is not None else "")
        self.url.copy_button.setEnabled(row is not None)

    # --- actions -----------------------------------------------------------------------------

    def _run(
        self, fn: Callable[[Session], Any], after: Callable[[Any], None] | None = None
    ) -> None:
        """Run an admin call on the writer; show its refusal, or refresh and go on."""

        def done(result: Any, error: BaseException | None) -> None:
            if error is not None:
                self.error.setText(str(error))
                self.error.show()
                return
            self.error.hide()
            self.refresh()
            if after is not None:
                after(result)

        self.ctx.actions.run(fn, done)

    def _names(self) -> set[str]:
        return {row.name for row in self.model.rows}

    def add(self) -> None:
        """Ask for a name and type, then create the integration and show its token once."""
        dialog = NameDialog(
            "Add integration",
            "Name:",
            name_check(integrations_admin.check_name, self._names),
            kinds=[(TYPE_NAMES[k], k) for k in TYPE_NAMES],
            parent=self,
        )
        dialog.chosen.connect(
            lambda name, kind: self._run(
                lambda s: _created(integrations_admin.create(s, name, kind)), self._show_token
            )
        )
        self.name_dialog = dialog
        dialog.open()

    def rename(self) -> None:
        """Ask for a new name (the URL does not change)."""
        row = self.selected()
        if row is None:
            return
        dialog = NameDialog(
            f"Rename {row.name}",
            "New name:",
            name_check(integrations_admin.check_name, lambda: self._names() - {row.name}),
            initial=row.name,
            parent=self,
        )
        dialog.chosen.connect(
            lambda name, _kind: self._run(lambda s: integrations_admin.rename(s, row.name, name))
        )
        self.name_dialog = dialog
        dialog.open()

    def toggle_active(self) -> None:
        """Deactivate an active integration (it then answers 403), or activate it."""
        row = self.selected()
        if row is not None:
            self._run(lambda s: integrations_admin.set_active(s, row.name, not row.active))

    def _confirm(self, title: str, text: str, go: Callable[[], None]) -> None:
        box = Confirmation(title, text, self)
        box.confirmed.connect(go)
        self.confirm_box = box
        box.open()

    def delete(self) -> None:
        """Delete the selected integration after confirmation (its alerts stay)."""
        row = self.selected()
        if row is None:
            return
        self._confirm(
            "Delete",
            f"Delete the integration {row.name!r}? Its URL stops taking alerts at once; "
            "alerts it already received are kept.",
            lambda: self._run(lambda s: integrations_admin.delete(s, row.name)),
        )

    def regenerate_token(self) -> None:
        """Replace the token after confirmation, and show the new one once."""
        row = self.selected()
        if row is None:
            return
        self._confirm(
            "Regenerate",
            f"Regenerate the token of {row.name!r}? Senders using the current token are "
            "refused (401) until they use the new one.",
            lambda: self._run(
                lambda s: _created(integrations_admin.regenerate_token(s, row.name)),
                self._show_token,
            ),
        )

    def _show_token(self, created: tuple[str, str, str]) -> None:
        name, identifier, token = created
        self.tokens[identifier] = token
        self.refresh()
        self.select(identifier)
        row = self.selected()
        url = self.model.url(row) if row is not None else ""
        self.token_dialog = TokenDialog(name, url, token, self)
        self.token_dialog.open()

    def send_test_alert(self) -> None:
        """Open the test alert editor for the selected integration."""
        row = self.selected()
        if row is None:
            return
        self.test_dialog = TestAlertDialog(
            row.name, row.type, self.model.url(row), self.tokens.get(row.identifier, ""), self
        )
        self.test_dialog.answered.connect(self._changed_soon)
        self.test_dialog.open()

    def edit_mapping(self) -> None:
        """Open the custom field mapping of the selected integration."""
        row = self.selected()
        if row is None:
            return
        self.mapping_dialog = MappingDialog(self.ctx, row.name, row.mapping, self)
        self.mapping_dialog.saved.connect(self._changed_soon)
        self.mapping_dialog.open()


def _created(new: NewIntegration) -> tuple[str, str, str]:
    """What the page needs of a new token, read while the session is open."""
    return new.integration.name, new.integration.identifier, new.token
