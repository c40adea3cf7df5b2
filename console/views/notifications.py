"""Desktop notifications for new incidents: a tray message where a tray exists, else a banner.

`IncidentNotifier` listens to ingestion's change signal, keeps only incidents created since it
started (the signal also names incidents that were merely touched), reads the
`notify_severities` setting fresh each time (so a change from the command line applies to
the next incident) and hands each one to a notifier: `TrayNotifier`, `BannerNotifier` or
`LogNotifier`. Clicking the message or the banner emits `open_incident(iid)`. Nothing is
shown while the wall display is up: nothing may pop over it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSystemTrayIcon, QWidget

from console.admin.settings import load_settings
from console.incident_queries import IncidentRow, incidents_by_iid, max_incident_iid
from console.views.context import ViewContext
from console.views.theme import SEVERITY_GLYPHS, app_icon

log = logging.getLogger(__name__)
MESSAGE_MS = 10_000
MAX_SEPARATE = 3  # more new incidents than this in one batch make one summary message


class Notifier(Protocol):
    """Something that can tell a person about an incident."""

    def notify(self, iid: int, title: str, body: str) -> None: ...


class IncidentBanner(QFrame):
    """A slim bar for the top of the main window: text, "Open" and dismiss."""

    open_clicked = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("incidentBanner")
        self.iid: int | None = None
        self.text = QLabel()
        self.text.setTextFormat(self.text.textFormat().PlainText)
        self.open_button = QPushButton("Open")
        self.dismiss_button = QPushButton("✕")
        self.dismiss_button.setToolTip("Dismiss")
        self.dismiss_button.setFlat(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(10, 4, 6, 4)
        layout.addWidget(self.text, 1)
        layout.addWidget(self.open_button)
        layout.addWidget(self.dismiss_button)
        self.open_button.clicked.connect(self._open)
        self.dismiss_button.clicked.connect(self.hide)
        self.hide()

    def show_incident(self, iid: int, text: str) -> None:
        """Show `text` about incident `iid` (replacing what the banner showed)."""
        self.iid = iid
        self.text.setText(text)
        self.show()

    def _open(self) -> None:
        if self.iid is not None:
            self.open_clicked.emit(self.iid)
        self.hide()


class BannerNotifier:
    """Notifies through an in-app banner."""

    def __init__(self, banner: IncidentBanner) -> None:
        self.banner = banner

    def notify(self, iid: int, title: str, body: str) -> None:
        self.banner.show_incident(iid, f"{title} — {body}")


class TrayNotifier(QObject):
    """Notifies through the system tray; `clicked(iid)` when the message is clicked."""

    clicked = Signal(int)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tray = QSystemTrayIcon(app_icon(), self)
        self.tray.setToolTip("Incident Console")
        self.tray.messageClicked.connect(self._clicked)
        self.last_iid: int | None = None

    def notify(self, iid: int, title: str, body: str) -> None:
        # The tray tells which message was clicked only by order: the last one shown.
        self.last_iid = iid
        if not self.tray.isVisible():
            self.tray.show()
        self.tray.showMessage(title, body, QSystemTrayIcon.MessageIcon.Warning, MESSAGE_MS)

    def _clicked(self) -> None:
        if self.last_iid is not None:
            self.clicked.emit(self.last_iid)


class LogNotifier:
    """Notifies in the log (for a console with no one watching, and for diagnosis)."""

    def notify(self, iid: int, title: str, body: str) -> None:
        log.info("incident #%d: %s — %s", iid, title, body)


def _message(rows: list[IncidentRow]) -> tuple[int, str, str]:
    """The incident to open, title and body of one notification for `rows`."""
    if len(rows) == 1:
        row = rows[0]
        glyph = SEVERITY_GLYPHS.get(row.severity, "?")
        return row.iid, f"New incident #{row.iid} ({glyph} {row.severity})", row.title
    worst = rows[-1]
    return worst.iid, f"{len(rows)} new incidents", f"Newest: #{worst.iid} {worst.title}"


class IncidentNotifier(QObject):
    """Tells people about new incidents; emits `open_incident(iid)` when they click."""

    open_incident = Signal(int)

    def __init__(
        self,
        ctx: ViewContext,
        parent: QObject | None = None,
        *,
        tray_available: Callable[[], bool] = QSystemTrayIcon.isSystemTrayAvailable,
        suppressed: Callable[[], bool] = lambda: False,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.suppressed = suppressed
        self.banner = IncidentBanner()
        self.banner.open_clicked.connect(self.open_incident)
        self.tray: TrayNotifier | None = None
        self.notifier: Notifier
        if tray_available():
            self.tray = TrayNotifier(self)
            self.tray.clicked.connect(self.open_incident)
            self.notifier = self.tray
        else:
            self.notifier = BannerNotifier(self.banner)
        with ctx.store.read() as session:
            self.seen_through = max_incident_iid(session)
        ctx.updates.changed.connect(self._on_changed)

    def _on_changed(self, _alerts: list[int], incidents: list[int]) -> None:
        new = [iid for iid in incidents if iid > self.seen_through]
        if not new:
            return
        self.seen_through = max(new)
        with self.ctx.store.read() as session:
            wanted = set(load_settings(session).get("notify_severities") or [])
            rows = [row for row in incidents_by_iid(session, new) if row.severity in wanted]
        if not rows or self.suppressed():
            return
        if len(rows) > MAX_SEPARATE:
            self.notifier.notify(*_message(rows))
            return
        for row in rows:
            self.notifier.notify(*_message([row]))
