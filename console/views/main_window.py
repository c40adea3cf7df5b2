"""The main window: alerts and incidents side by side with their detail, the notification
banner, menus and shortcuts, the status line, and the wall display it can open.

It only composes widgets and routes their signals (open this alert, open that incident);
every widget reads the store and writes through `ctx.actions` on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from PySide6.QtCore import QByteArray, QSettings, Qt, QTimer
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMenu,
    QSplitter,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from console import deeplinks
from console.views.alert_detail import AlertDetailWidget
from console.views.alert_feed import AlertFeedWidget
from console.views.alert_rules_view import AlertRulesView
from console.views.context import ViewContext
from console.views.dashboards_view import DashboardsView
from console.views.incident_list import IncidentListWidget
from console.views.incident_view import IncidentView
from console.views.integrations_view import IntegrationsView
from console.views.notifications import IncidentNotifier
from console.views.settings_view import SettingsDialog
from console.views.sound import SoundAlarm
from console.views.templates_view import TemplatesView
from console.views.wall import WallWindow
from console.views.wall_parts import age

ALERTS_TAB, INCIDENTS_TAB = 0, 1
STATUS_REFRESH_MS = 1000


def _last_alert(moment: float | None) -> str:
    if moment is None:
        return "no alert yet"
    return f"last alert {age(datetime.fromtimestamp(moment, UTC), datetime.now(UTC))} ago"


class MainWindow(QMainWindow):
    """The console's main window."""

    def __init__(self, ctx: ViewContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("Incident Console")
        self.resize(1400, 900)

        self.feed = AlertFeedWidget(ctx)
        self.alert_detail = AlertDetailWidget(ctx)
        self.incident_list = IncidentListWidget(ctx)
        self.incident_view = IncidentView(ctx)
        self.wall = WallWindow(ctx)
        self.notifier = IncidentNotifier(ctx, self, suppressed=lambda: self.wall.is_wall_active)
        self.sound = SoundAlarm(ctx, self)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._split(self.feed, self.alert_detail), "Alerts")
        self.tabs.addTab(self._split(self.incident_list, self.incident_view), "Incidents")
        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addWidget(self.notifier.banner)
        layout.addWidget(self.tabs)
        self.setCentralWidget(body)

        self.status = QLabel()
        self.statusBar().addPermanentWidget(self.status, 1)
        self._status_timer = QTimer(self)
        self._status_timer.timeout.connect(self.update_status)
        self._status_timer.start(STATUS_REFRESH_MS)
        self.update_status()

        self._admin_windows: dict[str, QWidget] = {}
        self._connect()
        self._build_menus()
        self.restore_geometry()

    @staticmethod
    def _split(left: QWidget, right: QWidget) -> QSplitter:
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        return splitter

    def _connect(self) -> None:
        self.feed.open_alert.connect(self.open_alert)
        self.alert_detail.open_incident.connect(self.open_incident)
        self.incident_list.open_incident.connect(self.incident_view.show_incident)
        self.incident_view.open_alert.connect(self.open_alert)
        self.incident_view.open_incident.connect(self.open_incident)
        self.incident_view.incident_changed.connect(lambda _iid: self.incident_list.refresh())
        self.notifier.open_incident.connect(self.open_incident)
        self.wall.mute_requested.connect(self.sound.toggle_mute)
        self.sound.playing_changed.connect(lambda _on: self._sync_wall_sound())
        self.sound.muted_changed.connect(lambda _on: self._sync_wall_sound())

    def _sync_wall_sound(self) -> None:
        self.wall.set_sound_state(self.sound.is_playing, self.sound.is_muted)
        self.update_status()

    def _action(self, menu_name: str, text: str, keys: str, slot: Callable[[], object]) -> QAction:
        menu = self._menus.get(menu_name)
        if menu is None:
            menu = self._menus[menu_name] = self.menuBar().addMenu(menu_name)
        action = QAction(text, self)
        if keys:
            action.setShortcut(QKeySequence(keys))
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _build_menus(self) -> None:
        self._menus: dict[str, QMenu] = {}
        self._action("&File", "&Quit", "Ctrl+Q", self.close)
        self._action("&View", "&Alerts", "Ctrl+1", lambda: self.tabs.setCurrentIndex(ALERTS_TAB))
        self._action(
            "&View", "&Incidents", "Ctrl+2", lambda: self.tabs.setCurrentIndex(INCIDENTS_TAB)
        )
        self.wall_action = self._action("&View", "&Wall display", "Ctrl+Shift+W", self.open_wall)
        self._action("&View", "&Full screen", "F11", self.toggle_full_screen)
        self.mute_action = self._action("&View", "&Mute alarm", "", self.sound.toggle_mute)
        self._action("&Settings", "&Incident settings…", "Ctrl+,", self.open_settings)
        self._action("&Settings", "I&ntegrations…", "", self.open_integrations)
        self._action("&Settings", "Issue &templates…", "", self.open_templates)
        self._action("&Settings", "Metrics &dashboards…", "", self.open_dashboards)
        self._action("&Settings", "Alert &rules…", "", self.open_alert_rules)
        # M mutes anywhere but in text fields, where it is a letter.
        self.mute_shortcut = QShortcut(QKeySequence("M"), self.tabs)
        self.mute_shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.mute_shortcut.activated.connect(self.sound.toggle_mute)

    def open_alert(self, iid: int) -> None:
        """Show alert `iid` in the alert detail."""
        self.tabs.setCurrentIndex(ALERTS_TAB)
        self.alert_detail.show_alert(iid)

    def open_incident(self, iid: int) -> None:
        """Raise the window on incident `iid` (from a notification, a link, a click)."""
        self.tabs.setCurrentIndex(INCIDENTS_TAB)
        self.incident_list.select_incident(iid)
        self.incident_view.show_incident(iid)
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def open_link(self, text: str) -> None:
        """Open an `incident-console://` link (from a second launch, a note, a mail); with
        no link, just raise the window."""
        link = deeplinks.parse(text) if text else None
        if link is not None and link.kind == "incident":
            self.open_incident(link.iid)
            return
        if link is not None:
            self.open_alert(link.iid)
        if self.isMinimized():
            self.showNormal()
        self.raise_()
        self.activateWindow()

    def open_settings(self) -> None:
        """The incident settings form (Settings > Operations > Incidents)."""
        dialog = SettingsDialog(self.ctx, parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    def _admin_window(self, key: str, make: Callable[[], QWidget], title: str) -> None:
        window = self._admin_windows.get(key)
        if window is None:
            window = self._admin_windows[key] = make()
            window.setWindowTitle(f"{title} — Incident Console")
            window.resize(1000, 640)
        window.show()
        window.raise_()
        window.activateWindow()

    def open_integrations(self) -> None:
        """Integrations: endpoints, tokens, test alerts and field mappings."""
        self._admin_window("integrations", lambda: IntegrationsView(self.ctx), "Integrations")

    def open_templates(self) -> None:
        """Issue templates: edit with live preview, import and export."""
        self._admin_window("templates", lambda: TemplatesView(self.ctx), "Issue templates")

    def open_dashboards(self) -> None:
        """Console dashboards: panels whose links embed charts."""
        self._admin_window("dashboards", lambda: DashboardsView(self.ctx), "Metrics dashboards")

    def open_alert_rules(self) -> None:
        """Console-managed alert rules evaluated against Prometheus."""
        self._admin_window("rules", lambda: AlertRulesView(self.ctx), "Alert rules")

    def open_wall(self, screen: int = 0) -> None:
        """Show the wall display full screen on `screen`."""
        self.wall.show_on(screen)

    def toggle_full_screen(self) -> None:
        """F11: full screen and back."""
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()

    def update_status(self) -> None:
        """The status line: where alerts arrive, how the listener is doing, the alarm."""
        listener = self.ctx.listener
        parts = [
            f"Listening on {listener.url}",
            _last_alert(listener.last_alert_at),
            f"{listener.errors} refused",
            f"queue {listener.writer.pending}",
        ]
        if self.sound.is_playing:
            parts.append("alarm muted (M)" if self.sound.is_muted else "ALARM — press M to mute")
        self.status.setText("   ·   ".join(parts))

    def restore_geometry(self) -> None:
        """Window size, position and splitters as they were last time."""
        settings = QSettings("incident-console", "window")
        geometry = settings.value("geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = settings.value("state")
        if isinstance(state, QByteArray):
            self.restoreState(state)

    def closeEvent(self, event: QCloseEvent) -> None:
        settings = QSettings("incident-console", "window")
        settings.setValue("geometry", self.saveGeometry())
        settings.setValue("state", self.saveState())
        self.wall.close()
        for window in self._admin_windows.values():
            window.close()
        super().closeEvent(event)
