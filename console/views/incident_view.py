"""The incident view: read and edit one incident, its notes, its alerts and its history.

Every change is a function of a session handed to `ctx.actions` (the one writer); the view
re-reads the incident when the writer answers, when ingestion reports it changed, and every
few seconds (changes made elsewhere raise no signal here). Fields being edited are never
overwritten by such a refresh.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont
from PySide6.QtWidgets import (
    QComboBox,
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
from console.config import SEVERITY_NAMES
from console.engine import incident_edits as edits
from console.engine import lifecycle, quick_actions
from console.engine import zoom as zoom_service
from console.engine.zoom import zoom_link_problem
from console.incident_queries import IncidentDetail, incident_detail
from console.views.alert_rules_view import add_alert
from console.views.chart_fetcher import shared_fetcher, store_dashboards, store_sources
from console.views.charts import ChartStrip, note_embeds, with_charts
from console.views.context import ViewContext
from console.views.incident_activity import ALL, COMMENTS, HISTORY, NoteComposer, activity_html
from console.views.incident_activity import when as format_when
from console.views.markdown_browser import MarkdownBrowser
from console.views.markdown_editor import MarkdownEditor
from console.views.theme import SEVERITY_GLYPHS

POLL_MS = 3000
# GitLab's rule for meeting links (PRODUCT C10).


def _heading(text: str) -> QLabel:
    label = QLabel(text)
    font = label.font()
    font.setBold(True)
    label.setFont(font)
    return label


class IncidentView(QWidget):
    """One incident; `show_incident(iid)` chooses which."""

    open_alert = Signal(int)
    open_incident = Signal(int)
    incident_changed = Signal(int)  # after this view changed it in the store

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        charts = shared_fetcher()
        charts.set_sources(store_sources(ctx.store), store_dashboards(ctx.store))
        charts.add_alert = lambda embed, parent: add_alert(ctx, embed.query, parent)
        self.iid: int | None = None
        self.detail: IncidentDetail | None = None
        self.dark = False
        self.pending = 0
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self._check_for_changes)
        self._poll.start()
        self._build()
        ctx.updates.changed.connect(self._on_changed)
        self._show_nothing()

    # ---- layout ---------------------------------------------------------------------------

    def _build(self) -> None:
        self.number = QLabel()
        self.title = QLineEdit()
        self.title.setObjectName("incidentTitle")
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel()
        self.close_button = QPushButton("Close incident")
        self.zoom_button = QPushButton("Join Zoom")
        self.zoom_button.setObjectName("joinZoom")
        self.start_zoom_button = QPushButton("Start Zoom")
        self.start_zoom_button.setToolTip("Attach your personal meeting link (Settings → Zoom)")
        self.meta = QLabel()
        self.meta.setProperty("muted", True)
        self.error = QLabel()
        self.error.setObjectName("errorLine")
        self.error.setWordWrap(True)
        self.error.hide()

        header = QHBoxLayout()
        header.addWidget(self.number)
        header.addWidget(self.title, 1)
        header.addWidget(self.status)
        header.addWidget(self.zoom_button)
        header.addWidget(self.start_zoom_button)
        header.addWidget(self.close_button)

        self.description = MarkdownEditor("Description", "Describe the incident (Markdown)")

        self.activity = MarkdownBrowser()
        self.activity_charts = ChartStrip()
        self.activity_filter = QComboBox()
        self.activity_filter.addItem("All activity", ALL)
        self.activity_filter.addItem("Comments only", COMMENTS)
        self.activity_filter.addItem("History only", HISTORY)
        self.composer = NoteComposer()
        self.composer.setMaximumHeight(110)
        self.comment_button = QPushButton("Comment")
        activity_box = QWidget()
        activity_layout = QVBoxLayout(activity_box)
        activity_layout.setContentsMargins(0, 0, 0, 0)
        activity_head = QHBoxLayout()
        activity_head.addWidget(_heading("Activity"))
        activity_head.addStretch(1)
        activity_head.addWidget(self.activity_filter)
        activity_layout.addLayout(activity_head)
        activity_layout.addWidget(with_charts(self.activity, self.activity_charts), 1)
        compose_row = QHBoxLayout()
        compose_row.addWidget(self.composer, 1)
        compose_row.addWidget(self.comment_button, 0, Qt.AlignmentFlag.AlignBottom)
        activity_layout.addLayout(compose_row)

        main = QSplitter(Qt.Orientation.Vertical)
        main.addWidget(self.description)
        main.addWidget(activity_box)
        main.setStretchFactor(0, 3)
        main.setStretchFactor(1, 2)

        self.severity = QComboBox()
        for name in SEVERITY_NAMES:
            self.severity.addItem(f"{SEVERITY_GLYPHS[name]} {name}", name)
        self.labels = QLineEdit()
        self.labels.setPlaceholderText("label, another label")
        self.assignees = QLineEdit()
        self.assignees.setPlaceholderText("name, another name")
        self.alerts = QListWidget()
        self.alerts.setWordWrap(True)
        self.alerts.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        sidebar = QWidget()
        form = QFormLayout(sidebar)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Severity", self.severity)
        form.addRow("Labels", self.labels)
        form.addRow("Assignees", self.assignees)
        form.addRow(_heading("Linked alerts"))
        form.addRow(self.alerts)

        body = QSplitter(Qt.Orientation.Horizontal)
        body.addWidget(main)
        body.addWidget(sidebar)
        body.setStretchFactor(0, 3)
        body.setStretchFactor(1, 1)
        body.setSizes([1000, 340])
        sidebar.setMinimumWidth(240)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(self.meta)
        layout.addWidget(self.error)
        layout.addWidget(body, 1)

        self.title.editingFinished.connect(self._title_edited)
        self.close_button.clicked.connect(self._close_or_reopen)
        self.zoom_button.clicked.connect(self._join_zoom)
        self.start_zoom_button.clicked.connect(self._start_zoom)
        self.description.save_requested.connect(self.save_description)
        self.severity.activated.connect(self._severity_chosen)
        self.labels.editingFinished.connect(self._labels_edited)
        self.assignees.editingFinished.connect(self._assignees_edited)
        self.alerts.itemClicked.connect(self._alert_clicked)
        self.alerts.itemActivated.connect(self._alert_clicked)
        self.composer.submit.connect(self.post_note)
        self.comment_button.clicked.connect(self.post_note)
        self.activity_filter.currentIndexChanged.connect(lambda _n: self._show_activity())
        for browser in (self.description.view, self.description.preview, self.activity):
            browser.open_incident.connect(self.open_incident)
            browser.open_alert.connect(self.open_alert)

    # ---- showing --------------------------------------------------------------------------

    def set_dark(self, dark: bool) -> None:
        """Follow the application's theme in the rendered Markdown."""
        self.dark = dark
        self.description.set_dark(dark)
        self.activity.set_dark(dark)

    def show_incident(self, iid: int) -> bool:
        """Show incident `iid`; False (and a message) when there is no such incident."""
        if iid != self.iid:
            self.description.stop_editing()
            self.composer.clear()
        self.iid = iid
        return self.reload()

    def reload(self) -> bool:
        """Read the shown incident again."""
        if self.iid is None:
            return False
        try:
            with self.ctx.store.read() as session:
                detail = incident_detail(session, self.iid)
        except AdminError as exc:
            self._show_nothing(str(exc))
            return False
        self._fill(detail)
        return True

    def _show_nothing(self, message: str = "No incident selected") -> None:
        self.detail = None
        self.number.setText("")
        self.title.setText(message)
        for widget in self._editors():
            widget.setEnabled(False)
        self.zoom_button.hide()

    def _editors(self) -> list[QWidget]:
        return [
            self.title,
            self.close_button,
            self.description,
            self.severity,
            self.labels,
            self.assignees,
            self.composer,
            self.comment_button,
        ]

    def _fill(self, detail: IncidentDetail) -> None:
        previous = self.detail
        self.detail = detail
        for widget in self._editors():
            widget.setEnabled(True)
        self.number.setText(f"#{detail.iid}")
        if not self.title.hasFocus() or previous is None or previous.iid != detail.iid:
            self.title.setText(detail.title)
        closed = detail.status == "closed"
        self.status.setText("Closed" if closed else "Open")
        self.status.setProperty("badge", detail.status)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self.close_button.setText("Reopen incident" if closed else "Close incident")
        self.close_button.setEnabled(self.pending == 0)
        opened = f"Opened {format_when(detail.created_at)} by {detail.author}"
        if detail.closed_at is not None:
            opened += f" · closed {format_when(detail.closed_at)}"
        self.meta.setText(opened)
        zoom = detail.zoom_url or ""
        joinable = bool(zoom) and zoom_link_problem(zoom) is None
        self.zoom_button.setVisible(joinable)
        self.zoom_button.setToolTip(zoom)
        self.start_zoom_button.setVisible(not joinable and detail.status != "closed")
        self.severity.setCurrentIndex(max(0, self.severity.findData(detail.severity)))
        if not self.labels.hasFocus():
            self.labels.setText(", ".join(detail.labels))
        if not self.assignees.hasFocus():
            self.assignees.setText(", ".join(detail.assignees))
        self._fill_alerts(detail)
        self.description.set_reference(detail.reference)
        self.description.set_text(detail.description)
        if previous is None or previous.notes != detail.notes:
            self._show_activity()

    def _fill_alerts(self, detail: IncidentDetail) -> None:
        self.alerts.clear()
        for alert in detail.alerts:
            glyph = SEVERITY_GLYPHS.get(alert.severity, "?")
            item = QListWidgetItem(f"{glyph} #{alert.iid} {alert.title} — {alert.status}")
            item.setData(Qt.ItemDataRole.UserRole, alert.iid)
            item.setToolTip(f"{alert.severity}, {alert.status}: open alert #{alert.iid}")
            self.alerts.addItem(item)
        if not detail.alerts:
            placeholder = QListWidgetItem("No linked alerts")
            placeholder.setFlags(Qt.ItemFlag.NoItemFlags)
            self.alerts.addItem(placeholder)

    def _show_activity(self) -> None:
        notes = self.detail.notes if self.detail is not None else ()
        show = self.activity_filter.currentData()
        self.activity.set_html_safely(activity_html(notes, show))
        comments = [n.body for n in notes if not n.system] if show != HISTORY else []
        self.activity_charts.set_embeds(note_embeds(comments))
        self.activity.verticalScrollBar().setValue(self.activity.verticalScrollBar().maximum())

    # ---- editing --------------------------------------------------------------------------

    def save_description(self, text: str) -> None:
        """Store an edited description."""
        self._write(
            lambda s, i, who: quick_actions.apply_to_description(s, i, text, who),
            self.description.stop_editing,
        )

    def post_note(self) -> None:
        """Post the composer's text as a comment."""
        text = self.composer.toPlainText()
        if not text.strip():
            return
        # Quick actions (/close, /zoom <url>, /label ~x ...) act; the rest is the comment.
        self._write(
            lambda s, i, who: quick_actions.apply_to_note(s, i, text, who), self.composer.clear
        )

    def _title_edited(self) -> None:
        text = self.title.text()
        if self.detail is not None and " ".join(text.split()) != self.detail.title:
            self._write(lambda s, i, who: edits.edit_title(s, i, text, who))

    def _severity_chosen(self, _index: int) -> None:
        chosen = str(self.severity.currentData())
        if self.detail is not None and chosen != self.detail.severity:
            self._write(lambda s, i, who: edits.set_severity(s, i, chosen, who))

    def _labels_edited(self) -> None:
        names = edits.parse_names(self.labels.text(), "~")
        if self.detail is not None and tuple(names) != self.detail.labels:
            self._write(lambda s, i, who: edits.set_labels(s, i, names, who))

    def _assignees_edited(self) -> None:
        names = edits.parse_names(self.assignees.text(), "@")
        if self.detail is not None and tuple(names) != self.detail.assignees:
            self._write(lambda s, i, who: edits.set_assignees(s, i, names, who))

    def _close_or_reopen(self) -> None:
        if self.detail is None:
            return
        change = (
            lifecycle.reopen_incident
            if self.detail.status == "closed"
            else lifecycle.close_incident
        )
        self.close_button.setEnabled(False)
        self._write(change)

    def _join_zoom(self) -> None:
        zoom = self.detail.zoom_url if self.detail is not None else None
        if zoom and zoom_link_problem(zoom) is None:
            QDesktopServices.openUrl(QUrl(zoom))

    def _start_zoom(self) -> None:
        """Attach the personal meeting link from settings, then open it."""

        def opened() -> None:
            if self.detail is not None and self.detail.zoom_url:
                QDesktopServices.openUrl(QUrl(self.detail.zoom_url))

        self._write(zoom_service.start_zoom, opened)

    def _alert_clicked(self, item: QListWidgetItem) -> None:
        iid = item.data(Qt.ItemDataRole.UserRole)
        if isinstance(iid, int):
            self.open_alert.emit(iid)

    def _write(
        self,
        change: Callable[[Session, int, str], Any],
        then: Callable[[], None] | None = None,
    ) -> None:
        """Run `change(session, iid, user)` on the writer; refresh when it answers."""
        if self.iid is None:
            return
        iid, user = self.iid, self.ctx.user
        self.pending += 1

        def done(_result: object, error: BaseException | None) -> None:
            self.pending -= 1
            if error is not None:
                self.error.setText(str(error))
                self.error.show()
            else:
                self.error.hide()
                if then is not None:
                    then()
                self.incident_changed.emit(iid)
            if self.iid == iid:
                self.reload()

        self.ctx.actions.run(lambda session: change(session, iid, user), done)

    # ---- live -----------------------------------------------------------------------------

    def _on_changed(self, alerts: list[int], incidents: list[int]) -> None:
        if self.detail is None:
            return
        linked = {alert.iid for alert in self.detail.alerts}
        if self.detail.iid in incidents or linked.intersection(alerts):
            self.reload()

    def _check_for_changes(self) -> None:
        if self.detail is None or not self.isVisible():
            return
        try:
            with self.ctx.store.read() as session:
                fresh = incident_detail(session, self.detail.iid)
        except AdminError:
            return
        if fresh != self.detail:
            self._fill(fresh)
