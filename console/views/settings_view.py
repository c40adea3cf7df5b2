"""The incident settings form (GitLab's Settings > Operations > Incidents, plus data sources).

Every option declared in `console.config.OPTIONS` has an editor here, grouped in tabs. Each
value is checked as it is typed with `console.admin.settings.check_value`, and the rules
between settings with `check_together`, the reason shown under the field; Save stays
disabled while any is refused. Save hands every change to `apply_settings` in one
transaction through the writer (all of them or none); Cancel closes without writing.

The listener address applies at once: with a `ListenerControl` (the desktop app's
`BackgroundRuntime`, given here or in `ctx.listener_control`) the listener is moved to the
new address first, and the settings are saved only if it could bind there; without one,
the runtime's settings watcher moves it within seconds of the save. The form shows where it
listens now.
"""

from __future__ import annotations

from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console import config
from console.admin import AdminError
from console.admin import settings as settings_admin
from console.admin import templates as templates_admin
from console.views.context import ListenerControl, ViewContext
from console.views.settings_fields import SettingField

SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Incidents",
        (
            "incident_management",
            "create_incident",
            "issue_template",
            "send_email",
            "email_recipients",
            "auto_close_incident",
        ),
    ),
    ("Notifications", ("notify_severities", "sound_severities", "theme")),
    ("Alert listener", ("listen_host", "listen_port")),
    ("Slack", ("slack_signing_secret", "slack_webhook_url", "slack_trigger")),
    (
        "Email (SMTP)",
        ("smtp_host", "smtp_port", "smtp_security", "smtp_user", "smtp_password", "smtp_from"),
    ),
    ("Zoom and metrics", ("zoom_personal_url", "prometheus_urls", "grafana_url", "grafana_token")),
)
LISTEN_KEYS = ("listen_host", "listen_port")
LISTENING_REFRESH_MS = 1000


def _sections() -> list[tuple[str, tuple[str, ...]]]:
    """The tabs, with any option no tab names gathered under "Other"."""
    named = {key for _title, keys in SECTIONS for key in keys}
    rest = tuple(opt.key for opt in config.OPTIONS if opt.key not in named)
    return list(SECTIONS) + ([("Other", rest)] if rest else [])


class SettingsDialog(QDialog):
    """Every setting, checked as typed; Save applies all changes in one transaction."""

    saved = Signal(dict)  # the values stored, secrets masked
    _rebound = Signal(object, object)  # (future of the rebind, changes waiting for it)

    def __init__(
        self,
        ctx: ViewContext,
        listener: ListenerControl | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.listener_control = listener or ctx.listener_control
        self.setWindowTitle("Incident settings")
        self.resize(720, 560)
        self.stored: dict[str, Any] = {}
        self.fields: dict[str, SettingField] = {}
        self._tab_of: dict[str, int] = {}
        self.tabs = QTabWidget()
        self.listening = QLabel()
        self.listening.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.secrets_note = QLabel()
        self.secrets_note.setWordWrap(True)
        self.status = QLabel()
        self.status.setWordWrap(True)
        for title, keys in _sections():
            index = self.tabs.addTab(self._page(keys), title)
            self._tab_of.update(dict.fromkeys(keys, index))

        self.buttons = QDialogButtonBox()
        self.save_button = QPushButton("Save changes")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.ApplyRole)
        self.buttons.addButton(self.cancel_button, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(self.tabs, 1)
        layout.addWidget(self.secrets_note)
        layout.addWidget(self.status)
        layout.addWidget(self.buttons)

        self._busy = False
        self._rebound.connect(self._after_rebind, Qt.ConnectionType.QueuedConnection)
        self._listening_timer = QTimer(self)
        self._listening_timer.setInterval(LISTENING_REFRESH_MS)
        self._listening_timer.timeout.connect(self.show_listening)
        self._listening_timer.start()
        self.load()

    def _page(self, keys: tuple[str, ...]) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        for key in keys:
            opt = config.option(key)
            field = SettingField(opt, page)
            field.changed.connect(self.validate)
            self.fields[key] = field
            form.addRow("" if opt.kind == "bool" else f"{opt.description}:", field)
        if "listen_port" in keys:
            note = QLabel(
                "The listener moves to a new address when you save; 127.0.0.1 takes alerts "
                "from this machine only, 0.0.0.0 from every network it is on."
            )
            note.setWordWrap(True)
            form.addRow(note)
            form.addRow("Listening on:", self.listening)
        return page

    def field(self, key: str) -> SettingField:
        """The editor of setting `key`."""
        return self.fields[key]

    def show_field(self, key: str) -> SettingField:
        """Bring the tab of setting `key` to the front; returns its editor."""
        self.tabs.setCurrentIndex(self._tab_of[key])
        return self.fields[key]

    def _show_refusals(self, errors: dict[str, str]) -> None:
        for key, reason in errors.items():
            if key in self.fields:
                self.fields[key].show_error(reason)
        first = next((key for key in self.fields if key in errors), None)
        if first is not None:
            self.show_field(first)

    def load(self) -> None:
        """Show the stored settings; they become what Cancel and "unchanged" mean."""
        with self.ctx.store.read() as session:
            self.stored = settings_admin.load_settings(session)
            names = [t.name for t in templates_admin.list_all(session)]
            where = settings_admin.secret_placement(session)
        self.fields["issue_template"].set_templates(names, str(self.stored["issue_template"]))
        for key, field in self.fields.items():
            field.set_value(self.stored.get(key))
        self.secrets_note.setText(
            "Secrets (Slack signing secret and webhook URL, SMTP password, Grafana token) "
            f"are kept {where.description}."
        )
        self.show_listening()
        self.validate()

    def show_listening(self) -> None:
        """Where the listener takes alerts now."""
        self.listening.setText(self.ctx.listener.url)

    def changes(self) -> dict[str, str]:
        """Every changed setting as the text `settings set` takes."""
        return {key: f.text() for key, f in self.fields.items() if f.is_changed}

    def validate(self) -> dict[str, str]:
        """Check every field (and the rules between them); show reasons; enable Save."""
        errors: dict[str, str] = {}
        values = dict(self.stored)
        for key, field in self.fields.items():
            if not field.is_changed:
                continue
            try:
                values[key] = settings_admin.check_value(key, field.text())
            except AdminError as exc:
                errors[key] = str(exc)
        for key, reason in settings_admin.check_together(values).items():
            errors.setdefault(key, reason)
        for key, field in self.fields.items():
            field.show_error(errors.get(key))
        self.save_button.setEnabled(not errors and bool(self.changes()) and not self._busy)
        return errors

    def save(self) -> None:
        """Apply every change in one transaction (moving the listener first, if it moves)."""
        changes = self.changes()
        if self._busy or not changes or self.validate():
            return
        self._set_busy(True)
        self.status.setText("Saving…")
        if self.listener_control is not None and any(key in changes for key in LISTEN_KEYS):
            host = settings_admin.check_value("listen_host", self.fields["listen_host"].text())
            port = settings_admin.check_value("listen_port", self.fields["listen_port"].text())
            previous = self.listener_control.requested
            future = self.listener_control.rebind(host, port)
            future.add_done_callback(lambda f: self._rebound.emit(f, (changes, previous)))
            return
        self._apply(changes, None)

    def _after_rebind(self, future: Future[str], waiting: tuple[dict[str, str], Any]) -> None:
        changes, previous = waiting
        error = future.exception()
        if error is not None:
            self._set_busy(False)
            self._show_refusals({"listen_port": str(error)})
            self.status.setText("Nothing was saved: the listener cannot move there.")
            self.save_button.setEnabled(False)
            return
        self.show_listening()
        self._apply(changes, previous)

    def _apply(self, changes: dict[str, str], moved_from: tuple[str, int] | None) -> None:
        def done(result: Any, error: BaseException | None) -> None:
            self._set_busy(False)
            if error is None:
                self.status.setText(f"Saved {len(changes)} setting(s).")
                self.load()
                self.saved.emit(settings_admin.public_settings(dict(result or {})))
                return
            if moved_from is not None and self.listener_control is not None:
                self.listener_control.rebind(*moved_from)  # put it back: nothing saved
            self.status.setText(f"Nothing was saved: {error}")
            if isinstance(error, settings_admin.SettingsRefused):
                self._show_refusals(error.errors)
            self.save_button.setEnabled(False)

        self.ctx.actions.run(lambda session: settings_admin.apply_settings(session, changes), done)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        self.save_button.setEnabled(not busy)
        self.cancel_button.setEnabled(not busy)

    def reject(self) -> None:
        """Cancel: close without writing anything (refused while a save is under way)."""
        if self._busy:
            return
        self._listening_timer.stop()
        super().reject()
