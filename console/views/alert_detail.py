"""The alert detail view: every field, the payload, the event history, activity and actions.

`show_alert(iid)` reads the alert (see `console.alert_detail_queries`) and shows it; it
follows live changes to that alert. Actions (acknowledge, resolve, ignore, create incident)
run on the one writer and are announced on `ctx.updates` like ingest commits, so the feed
and every other view follow. "Open incident" emits `open_incident(n)`; "Open runbook"
opens the runbook in the browser, and only when it is an http or https URL.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QFontDatabase
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy.orm import Session

from console.alert_detail_queries import AlertDetail, event_payload, load_alert_detail
from console.engine.incident_from_alert import create_incident_for_alert
from console.engine.lifecycle import set_alert_status
from console.engine.writer import BatchStats
from console.models import AlertStatus
from console.views import severity_style
from console.views.callbacks import weak_done
from console.views.context import ViewContext

TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
EVENT_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SAFE_SCHEMES = ("http", "https")
STATUS_ACTIONS = (
    ("Acknowledge", AlertStatus.ACKNOWLEDGED.value),
    ("Resolve", AlertStatus.RESOLVED.value),
    ("Ignore", AlertStatus.IGNORED.value),
)
FIELDS = (
    ("Status", "status"),
    ("Severity", "severity"),
    ("Events", "events"),
    ("Started", "started_at"),
    ("Ended", "ended_at"),
    ("Last seen", "last_seen_at"),
    ("Service", "service"),
    ("Monitoring tool", "monitoring_tool"),
    ("Hosts", "hosts"),
    ("Environment", "environment"),
    ("Runbook", "runbook"),
    ("Full query", "full_query"),
    ("Fingerprint", "fingerprint"),
    ("Integration", "integration"),
    ("Incident", "incident"),
    ("Description", "description"),
)


def local_time(moment: Any) -> str:
    """A stored time in local time, or "—"."""
    return moment.astimezone().strftime(TIME_FORMAT) if moment is not None else "—"


def safe_runbook_url(text: str) -> QUrl | None:
    """The runbook as a URL the browser may open (http or https only), else None."""
    url = QUrl(text.strip())
    if not text.strip() or not url.isValid() or url.scheme().lower() not in SAFE_SCHEMES:
        return None
    return url if url.host() else None


class AlertDetailWidget(QWidget):
    """One alert in full; emits `open_incident(n)` and `alert_changed(iid)`."""

    open_incident = Signal(int)
    alert_changed = Signal(int)

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.iid: int | None = None
        self.detail: AlertDetail | None = None
        self._pending_done: Callable[[Any, BaseException | None], None] | None = None
        self._build()
        ctx.updates.changed.connect(self._on_store_changed)

    # -- layout ----------------------------------------------------------------------------

    def _build(self) -> None:
        self.stack = QStackedWidget()
        self.empty = QLabel("Select an alert to see it here.")
        self.empty.setWordWrap(True)
        self.stack.addWidget(self.empty)
        page = QWidget()
        self.stack.addWidget(page)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.stack)

        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.badge = QLabel()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setVisible(False)

        self.status_buttons: dict[str, QPushButton] = {}
        buttons = QHBoxLayout()
        for label, status in STATUS_ACTIONS:
            button = QPushButton(label)
            button.clicked.connect(lambda _=False, s=status: self.set_status(s))
            self.status_buttons[status] = button
            buttons.addWidget(button)
        self.incident_button = QPushButton("Create incident")
        self.incident_button.clicked.connect(self._incident_clicked)
        self.runbook_button = QPushButton("Open runbook")
        self.runbook_button.clicked.connect(self.open_runbook)
        buttons.addWidget(self.incident_button)
        buttons.addWidget(self.runbook_button)
        buttons.addStretch(1)

        self.tabs = QTabWidget()
        self.tabs.addTab(self._overview_tab(), "Overview")
        self.payload = self._code_view()
        self.tabs.addTab(self.payload, "Payload")
        self.tabs.addTab(self._events_tab(), "Events")
        self.activity = QListWidget()
        self.activity.setWordWrap(True)
        self.activity.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.tabs.addTab(self.activity, "Activity")

        body = QVBoxLayout(page)
        body.addWidget(self.title)
        body.addWidget(self.badge)
        body.addLayout(buttons)
        body.addWidget(self.message)
        body.addWidget(self.tabs, 1)

    def _overview_tab(self) -> QWidget:
        tab = QWidget()
        form = QFormLayout(tab)
        self.fields: dict[str, QLabel] = {}
        for label, key in FIELDS:
            value = QLabel()
            value.setWordWrap(True)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            value.setTextFormat(Qt.TextFormat.PlainText)
            self.fields[key] = value
            form.addRow(label, value)
        return tab

    def _code_view(self) -> QPlainTextEdit:
        view = QPlainTextEdit()
        view.setReadOnly(True)
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        return view

    def _events_tab(self) -> QWidget:
        self.events = QTableWidget(0, 3)
        self.events.setHorizontalHeaderLabels(["Received", "Kind", "Integration"])
        self.events.verticalHeader().setVisible(False)
        self.events.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.events.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.events.horizontalHeader().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.events.itemSelectionChanged.connect(self._event_chosen)
        self.event_payload = self._code_view()
        self.events_note = QLabel()
        split = QSplitter()
        split.addWidget(self.events)
        split.addWidget(self.event_payload)
        tab = QWidget()
        layout = QVBoxLayout(tab)
        layout.addWidget(self.events_note)
        layout.addWidget(split, 1)
        return tab

    # -- showing ---------------------------------------------------------------------------

    def show_alert(self, iid: int) -> None:
        """Show alert `iid` (or say it does not exist)."""
        self.iid = iid
        self.message.setVisible(False)
        self.reload()

    def clear(self) -> None:
        """Show nothing."""
        self.iid = None
        self.detail = None
        self.stack.setCurrentWidget(self.empty)
        self.empty.setText("Select an alert to see it here.")

    def reload(self) -> None:
        """Read the alert again and show it."""
        if self.iid is None:
            return
        with self.ctx.store.read() as session:
            detail = load_alert_detail(session, self.iid)
        self.detail = detail
        if detail is None:
            self.stack.setCurrentWidget(self.empty)
            self.empty.setText(f"There is no alert #{self.iid}.")
            return
        self.stack.setCurrentIndex(1)
        self._show(detail)

    def _show(self, detail: AlertDetail) -> None:
        alert = detail.alert
        look = severity_style.style(alert.severity)
        self.title.setText(f"#{alert.iid} {alert.title}")
        self.badge.setText(f"{look.glyph} {look.label} · {alert.status.capitalize()}")
        self.badge.setStyleSheet(f"color: {severity_style.color(alert.severity).name()};")
        incident = detail.incident
        values = {
            "status": alert.status.capitalize(),
            "severity": look.label,
            "events": str(alert.events),
            "started_at": local_time(alert.started_at),
            "ended_at": local_time(alert.ended_at),
            "last_seen_at": local_time(alert.last_seen_at),
            "service": alert.service,
            "monitoring_tool": alert.monitoring_tool,
            "hosts": alert.hosts,
            "environment": alert.environment,
            "runbook": alert.runbook,
            "full_query": alert.full_query,
            "fingerprint": alert.fingerprint or "",
            "integration": detail.integration,
            "incident": f"#{incident.iid} {incident.title} ({incident.status})" if incident else "",
            "description": alert.description,
        }
        for key, label in self.fields.items():
            label.setText(values[key] or "—")
        for status, button in self.status_buttons.items():
            button.setEnabled(alert.status != status)
        self.incident_button.setText(
            f"Open incident #{incident.iid}" if incident else "Create incident"
        )
        self.runbook_button.setEnabled(safe_runbook_url(alert.runbook) is not None)
        self.payload.setPlainText(detail.payload)
        self._show_events(detail)
        self._show_activity(detail)

    def _show_events(self, detail: AlertDetail) -> None:
        self.events.setRowCount(len(detail.events))
        for row, event in enumerate(detail.events):
            for column, text in enumerate(
                (local_time(event.received_at), event.kind, event.integration)
            ):
                item = QTableWidgetItem(text)
                if column == 0:
                    item.setData(EVENT_ID_ROLE, event.id)
                self.events.setItem(row, column, item)
        shown, total = len(detail.events), detail.events_total
        self.events_note.setText(
            f"{total:,} notifications, newest first"
            + (f" (the newest {shown:,} are listed)" if shown < total else "")
        )
        self.tabs.setTabText(2, f"Events ({total:,})")
        self.event_payload.clear()
        if detail.events:
            self.events.selectRow(0)

    def _event_chosen(self) -> None:
        rows = self.events.selectionModel().selectedRows()
        if not rows:
            return
        item = self.events.item(rows[0].row(), 0)
        if item is None:
            return
        event_id = item.data(EVENT_ID_ROLE)
        with self.ctx.store.read() as session:
            self.event_payload.setPlainText(event_payload(session, int(event_id)))

    def _show_activity(self, detail: AlertDetail) -> None:
        self.activity.clear()
        for entry in detail.activity:
            item = QListWidgetItem(f"{local_time(entry.created_at)}  {entry.author} {entry.body}")
            if not entry.system:
                font = QFont(item.font())
                font.setBold(True)
                item.setFont(font)
            self.activity.addItem(item)
        self.tabs.setTabText(3, f"Activity ({len(detail.activity)})")

    def _on_store_changed(self, alert_iids: list[int], _incident_iids: list[int]) -> None:
        if self.iid is not None and self.iid in alert_iids:
            self.reload()

    # -- actions ---------------------------------------------------------------------------

    def set_status(self, status: str) -> None:
        """Give the shown alert `status` (on the writer)."""
        if self.iid is None:
            return
        iid, author = self.iid, self.ctx.user

        def change(session: Session) -> int | None:
            return set_alert_status(session, iid, status, author).incident_iid

        self._run(change, iid)

    def create_incident(self) -> None:
        """Create an incident for the shown alert (on the writer)."""
        if self.iid is None:
            return
        iid, author = self.iid, self.ctx.user
        self._run(lambda session: create_incident_for_alert(session, iid, author).iid, iid)

    def _incident_clicked(self) -> None:
        if self.detail is not None and self.detail.incident is not None:
            self.open_incident.emit(self.detail.incident.iid)
        else:
            self.create_incident()

    def open_runbook(self) -> bool:
        """Open the runbook in the browser (http and https only); whether it was opened."""
        if self.detail is None:
            return False
        url = safe_runbook_url(self.detail.alert.runbook)
        if url is None:
            return False
        return QDesktopServices.openUrl(url)

    def _run(self, change: Callable[[Session], int | None], iid: int) -> None:
        self._set_busy(True)

        def done(incident: int | None, error: BaseException | None) -> None:
            self._set_busy(False)
            if error is not None:
                self.message.setText(str(error))
                self.message.setVisible(True)
                return
            self.message.setVisible(False)
            incidents = (incident,) if incident is not None else ()
            self.ctx.updates.push(BatchStats(0, 1, 0.0, (iid,), incidents))
            self.reload()
            self.alert_changed.emit(iid)

        self._pending_done = done
        self.ctx.actions.run(change, weak_done(self._deliver))

    def _deliver(self, result: Any, error: BaseException | None) -> None:
        done, self._pending_done = self._pending_done, None
        if done is not None:
            done(result, error)

    def _set_busy(self, busy: bool) -> None:
        for button in (*self.status_buttons.values(), self.incident_button):
            button.setEnabled(not busy)
        if not busy and self.detail is not None:
            for status, button in self.status_buttons.items():
                button.setEnabled(self.detail.alert.status != status)
