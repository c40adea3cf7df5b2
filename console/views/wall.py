"""The wall display: a full-screen board for a NOC wall, readable from across the room.

Counts of open alerts per severity as large tiles, the most urgent open alerts in large type
(unacknowledged ones flash), alerts per minute over the last hour, the listener's health
and a clock. Type is sized in points from the screen's height, so it fills a 1080p screen
and stays sharp at 4K (Qt draws points at the screen's device pixel ratio).

Counts and the list follow ingestion's change signal, at most once a second, plus a slow
poll for changes made elsewhere (acknowledging from another desk); the chart refreshes on
its own timer, off the GUI thread. While the wall is shown nothing else may pop up over it:
`is_wall_active` tells the notifier.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

from PySide6.QtCore import Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QCloseEvent,
    QDesktopServices,
    QGuiApplication,
    QHideEvent,
    QKeySequence,
    QShortcut,
    QShowEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLayout,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from console.config import SEVERITY_NAMES
from console.engine.zoom import zoom_link_problem
from console.incident_queries import (
    ActiveZoom,
    active_zoom,
    alert_rate,
    most_urgent_open_alerts,
    open_alert_counts,
)
from console.views.context import ViewContext
from console.views.theme import resource_text
from console.views.wall_parts import (
    BackgroundReader,
    RateChart,
    SeverityTile,
    WallAlertsModel,
    age,
    set_point_size,
)

FLASH_MS = 700
MIN_REFRESH_MS = 1000  # counts and list at most once a second, however fast alerts come
POLL_MS = 5000
CHART_MS = 15_000
LIST_ROWS = 40
REFERENCE_HEIGHT = 1080.0


class WallWindow(QWidget):
    """The wall display; `show_on(screen_index)` puts it full screen on that screen."""

    mute_requested = Signal()  # M on the wall (the window owning the sound decides)
    closed = Signal()

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.ctx = ctx
        self.setObjectName("wall")
        self.setWindowTitle("Incident Console — Wall display")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(resource_text("styles", "wall.qss"))
        self.scale = 1.0
        self.reader = BackgroundReader(self)
        self.counts_total = 0
        self._build()
        self._timers()
        ctx.updates.changed.connect(self._on_changed)
        QShortcut(QKeySequence(Qt.Key.Key_M), self, self.mute_requested.emit)
        QShortcut(QKeySequence(Qt.Key.Key_Escape), self, self.close)
        self.refresh()
        self._every_second()
        self.apply_scale()

    def _build(self) -> None:
        self.heading = QLabel("INCIDENT CONSOLE")
        self.sound = QLabel("")
        self.sound.setProperty("muted", True)
        self.clock = QLabel()
        self.clock.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.zoom_button = QPushButton()
        self.zoom_button.setObjectName("wallZoom")
        self.zoom_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.zoom_button.hide()
        self.zoom_button.clicked.connect(self._join_zoom)
        self.zoom_url = ""
        top = QHBoxLayout()
        top.addWidget(self.heading)
        top.addSpacing(24)
        top.addWidget(self.zoom_button)
        top.addStretch(1)
        top.addWidget(self.sound)
        top.addSpacing(24)
        top.addWidget(self.clock)

        self.tiles = {name: SeverityTile(name) for name in SEVERITY_NAMES}
        self.unacked_tile = SeverityTile("critical", "UNACKNOWLEDGED")
        tiles = QHBoxLayout()
        for tile in self.tiles.values():
            tiles.addWidget(tile, 1)
        tiles.addSpacing(12)
        tiles.addWidget(self.unacked_tile, 1)

        self.model = WallAlertsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setShowGrid(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setVisible(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("No open alerts")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setProperty("muted", True)
        alerts_panel, self.alerts_heading = self._panel("OPEN ALERTS", self.table, self.empty)

        self.chart = RateChart()
        chart_panel, _ = self._panel("ALERTS PER MINUTE · LAST HOUR", self.chart)
        self.health = {key: QLabel() for key in ("address", "last", "errors", "store", "status")}
        health_grid = QWidget()
        grid = QGridLayout(health_grid)
        for row, (key, title) in enumerate(
            (
                ("status", "Listener"),
                ("address", "Address"),
                ("last", "Last alert"),
                ("errors", "Errors"),
                ("store", "Store"),
            )
        ):
            name = QLabel(title)
            name.setProperty("muted", True)
            grid.addWidget(name, row, 0)
            grid.addWidget(self.health[key], row, 1)
        grid.setColumnStretch(1, 1)
        self.health_names = health_grid.findChildren(QLabel)
        health_panel, _ = self._panel("LISTENER HEALTH", health_grid)

        side = QVBoxLayout()
        side.addWidget(chart_panel, 3)
        side.addWidget(health_panel, 2)
        body = QHBoxLayout()
        body.addWidget(alerts_panel, 3)
        body.addLayout(side, 2)

        layout = QVBoxLayout(self)
        # Full screen must win over the content's wishes, even on a small screen.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addLayout(top)
        layout.addLayout(tiles, 2)
        layout.addLayout(body, 7)

    def _panel(self, title: str, *widgets: QWidget) -> tuple[QFrame, QLabel]:
        panel = QFrame()
        panel.setObjectName("wallPanel")
        layout = QVBoxLayout(panel)
        heading = QLabel(title)
        heading.setProperty("muted", True)
        heading.setProperty("panelTitle", True)
        layout.addWidget(heading)
        for widget in widgets:
            layout.addWidget(widget, 1)
        return panel, heading

    def _timers(self) -> None:
        self._flash = QTimer(self)
        self._flash.setInterval(FLASH_MS)
        self._flash.timeout.connect(self.model.toggle_flash)
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._every_second)
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.setInterval(MIN_REFRESH_MS)
        self._throttle.timeout.connect(self.refresh)
        self._poll = QTimer(self)
        self._poll.setInterval(POLL_MS)
        self._poll.timeout.connect(self.refresh)
        self._poll.timeout.connect(self._check_store)
        self._chart_timer = QTimer(self)
        self._chart_timer.setInterval(CHART_MS)
        self._chart_timer.timeout.connect(self.refresh_chart)
        self._running = (self._flash, self._tick, self._poll, self._chart_timer)

    # ---- showing --------------------------------------------------------------------------

    @property
    def is_wall_active(self) -> bool:
        """Whether the wall is on screen (then nothing else may pop up)."""
        return self.isVisible()

    def show_on(self, screen_index: int = 0) -> None:
        """Full screen on screen `screen_index` (the primary screen if there is no such one)."""
        screens = QGuiApplication.screens()
        screen = (
            screens[screen_index]
            if 0 <= screen_index < len(screens)
            else QGuiApplication.primaryScreen()
        )
        self.setScreen(screen)
        self.setGeometry(screen.geometry())
        self.apply_scale(screen.geometry().height())
        self.showFullScreen()

    def apply_scale(self, height: int | None = None) -> None:
        """Size the type for a screen `height` logical pixels tall (default: this screen's)."""
        if height is None:
            screen = self.screen() or QGuiApplication.primaryScreen()
            height = screen.geometry().height() if screen is not None else int(REFERENCE_HEIGHT)
        self.scale = max(0.5, height / REFERENCE_HEIGHT)
        pt = self.scale
        set_point_size(self.heading, 20 * pt, bold=True)
        set_point_size(self.clock, 30 * pt, bold=True)
        set_point_size(self.sound, 16 * pt, bold=True)
        for tile in [*self.tiles.values(), self.unacked_tile]:
            tile.set_fonts(48 * pt, 14 * pt)
        set_point_size(self.table, 20 * pt)
        self.table.verticalHeader().setDefaultSectionSize(int(44 * pt))
        set_point_size(self.empty, 22 * pt)
        for label in self.findChildren(QLabel):
            if label.property("panelTitle"):
                set_point_size(label, 13 * pt, bold=True)
        for label in self.health_names:
            set_point_size(label, 16 * pt, bold=label in self.health.values())
        self.chart.set_font_size(12 * pt)

    def set_sound_state(self, playing: bool, muted: bool) -> None:
        """Show whether the alarm sounds or is muted (M toggles)."""
        if muted:
            self.sound.setText("SOUND MUTED (M)")
        elif playing:
            self.sound.setText("ALARM SOUNDING — M TO MUTE")
        else:
            self.sound.setText("")

    # ---- refreshing -----------------------------------------------------------------------

    def refresh(self) -> None:
        """Read counts and the alert list (cheap: open alerts only, through an index)."""
        now = datetime.now(UTC)
        with self.ctx.store.read() as session:
            counts = open_alert_counts(session)
            rows = most_urgent_open_alerts(session, LIST_ROWS)
            meeting = active_zoom(session)
        self._show_zoom(meeting)
        for name, tile in self.tiles.items():
            tile.set_count(counts.by_severity.get(name, 0))
        self.unacked_tile.set_count(counts.unacknowledged)
        self.counts_total = counts.total
        shown = f" · {len(rows)} MOST URGENT" if counts.total > len(rows) else ""
        self.alerts_heading.setText(f"OPEN ALERTS · {counts.total}{shown}")
        self.model.set_rows(rows, now)
        self.empty.setVisible(not rows)
        self.table.setVisible(bool(rows))

    def _show_zoom(self, meeting: ActiveZoom | None) -> None:
        """One click joins the call of the newest open incident that has one."""
        joinable = meeting is not None and zoom_link_problem(meeting.url) is None
        self.zoom_button.setVisible(joinable)
        if meeting is not None and joinable:
            self.zoom_url = meeting.url
            self.zoom_button.setText(f"JOIN ZOOM · #{meeting.iid} {meeting.title}")
            self.zoom_button.setToolTip(meeting.url)

    def _join_zoom(self) -> None:
        if self.zoom_url and zoom_link_problem(self.zoom_url) is None:
            QDesktopServices.openUrl(QUrl(self.zoom_url))

    def refresh_chart(self) -> None:
        """Recount alerts per minute on the reader thread, then redraw the bars."""
        store = self.ctx.store

        def read() -> list[int]:
            with store.read() as session:
                return alert_rate(session, datetime.now(UTC))

        self.reader.submit("rate", read, self.chart.set_counts)

    def _on_changed(self, alerts: list[int], _incidents: list[int]) -> None:
        if alerts and self.isVisible() and not self._throttle.isActive():
            self._throttle.start()

    def _every_second(self) -> None:
        self.clock.setText(time.strftime("%H:%M:%S"))
        listener = self.ctx.listener
        self.health["address"].setText(listener.url)
        last = listener.last_alert_at
        if last is None:
            self.health["last"].setText("none yet")
        else:
            when = datetime.fromtimestamp(last, UTC)
            self.health["last"].setText(f"{age(when, datetime.now(UTC))} ago")
        self.health["errors"].setText(str(listener.errors))
        running = listener.writer.running
        self.health["status"].setText("● LISTENING" if running else "✕ STOPPED")
        self.health["status"].setStyleSheet(f"color: {'#3ddc84' if running else '#ff5c5c'};")

    def _check_store(self) -> None:
        self.reader.submit("store", self.ctx.store.healthy, self._store_health)

    def _store_health(self, health: tuple[bool, str]) -> None:
        ok, detail = health
        self.health["store"].setText("● OK" if ok else f"✕ {detail}")
        self.health["store"].setStyleSheet(f"color: {'#3ddc84' if ok else '#ff5c5c'};")

    def showEvent(self, event: QShowEvent) -> None:
        # The wall only costs anything while it is shown.
        for timer in self._running:
            timer.start()
        self.refresh()
        self.refresh_chart()
        self._check_store()
        self._every_second()
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        for timer in self._running:
            timer.stop()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.closed.emit()
        super().closeEvent(event)
