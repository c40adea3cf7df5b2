"""Dark and light themes: palettes, stylesheets from `console/resources`, severity colours.

The `theme` setting chooses dark, light, or the system's own look; `ThemeController` reads
it from the store every few seconds, so a change made on the command line or by another
console reaches a running window without a restart.
"""

from __future__ import annotations

from importlib import resources

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPalette
from PySide6.QtWidgets import QApplication

from console.admin.settings import load_settings
from console.store import Store

POLL_MS = 3000
DARK, LIGHT, SYSTEM = "dark", "light", "system"

# Saturated enough to read on black (the wall) and on white; each has a glyph too, so
# severity is never told by colour alone.
SEVERITY_COLOURS = {
    "critical": "#e5484d",
    "high": "#f76b15",
    "medium": "#f5b900",
    "low": "#3e9bff",
    "info": "#8fa3b8",
    "unknown": "#9b8cff",
}
SEVERITY_GLYPHS = {
    "critical": "■",
    "high": "▲",
    "medium": "◆",
    "low": "▼",
    "info": "●",
    "unknown": "?",
}

_DARK_ROLES = {
    QPalette.ColorRole.Window: "#1e2127",
    QPalette.ColorRole.WindowText: "#e8eaed",
    QPalette.ColorRole.Base: "#16181d",
    QPalette.ColorRole.AlternateBase: "#1f232a",
    QPalette.ColorRole.Text: "#e8eaed",
    QPalette.ColorRole.Button: "#2b2f36",
    QPalette.ColorRole.ButtonText: "#e8eaed",
    QPalette.ColorRole.BrightText: "#ffffff",
    QPalette.ColorRole.Highlight: "#3d6fd9",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#7cacff",
    QPalette.ColorRole.LinkVisited: "#b69cff",
    QPalette.ColorRole.ToolTipBase: "#2b2f36",
    QPalette.ColorRole.ToolTipText: "#e8eaed",
    QPalette.ColorRole.PlaceholderText: "#8b9098",
}
_LIGHT_ROLES = {
    QPalette.ColorRole.Window: "#f6f7f9",
    QPalette.ColorRole.WindowText: "#1f2328",
    QPalette.ColorRole.Base: "#ffffff",
    QPalette.ColorRole.AlternateBase: "#f3f5f7",
    QPalette.ColorRole.Text: "#1f2328",
    QPalette.ColorRole.Button: "#f6f8fa",
    QPalette.ColorRole.ButtonText: "#1f2328",
    QPalette.ColorRole.BrightText: "#000000",
    QPalette.ColorRole.Highlight: "#0969da",
    QPalette.ColorRole.HighlightedText: "#ffffff",
    QPalette.ColorRole.Link: "#0550ae",
    QPalette.ColorRole.LinkVisited: "#8250df",
    QPalette.ColorRole.ToolTipBase: "#ffffff",
    QPalette.ColorRole.ToolTipText: "#1f2328",
    QPalette.ColorRole.PlaceholderText: "#6e7781",
}


def resource_text(*parts: str) -> str:
    """A text file shipped in `console/resources`."""
    return resources.files("console").joinpath("resources", *parts).read_text("utf-8")


def app_icon() -> QIcon:
    """The console's icon (SVG, sharp at any size)."""
    path = resources.files("console").joinpath("resources", "icons", "app.svg")
    with resources.as_file(path) as file:
        return QIcon(str(file))


def palette_for(theme: str) -> QPalette:
    """The palette of the dark or light theme."""
    roles = _DARK_ROLES if theme == DARK else _LIGHT_ROLES
    palette = QPalette()
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    disabled = QColor("#6b7078" if theme == DARK else "#8c959f")
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    palette.setColor(QPalette.ColorGroup.Disabled, QPalette.ColorRole.WindowText, disabled)
    return palette


def system_is_dark() -> bool:
    """Whether the desktop asks for a dark look."""
    return QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark


def is_dark(theme: str) -> bool:
    """Whether `theme` (dark, light or system) ends up dark."""
    return theme == DARK or (theme == SYSTEM and system_is_dark())


def markdown_css(dark: bool) -> str:
    """The default stylesheet of rendered Markdown (Qt's rich-text CSS subset)."""
    code_bg, rule, muted = (
        ("#262a31", "#3a3f48", "#9aa0a6") if dark else ("#f1f3f5", "#d0d7de", "#59636e")
    )
    return (
        f"pre {{ background-color: {code_bg}; padding: 6px; }}"
        f"code {{ background-color: {code_bg}; font-family: monospace; }}"
        f"th {{ background-color: {code_bg}; }}"
        f"table {{ border-color: {rule}; }}"
        f"blockquote {{ color: {muted}; }}"
        f".metrics-embed {{ background-color: {code_bg}; color: {muted}; }}"
        f".system {{ color: {muted}; }}"
        f".meta {{ color: {muted}; }}"
    )


class _Originals:
    """The platform's own style and palette, kept so `system` can return to them."""

    style: str | None = None
    palette: QPalette | None = None


def apply_theme(app: QApplication, theme: str) -> bool:
    """Apply dark, light or system to the whole application; returns whether it is dark."""
    if _Originals.palette is None:
        _Originals.style = app.style().name()
        _Originals.palette = QPalette(app.palette())
    if theme in (DARK, LIGHT):
        app.setStyle("Fusion")  # the platform styles ignore much of a custom palette
        app.setPalette(palette_for(theme))
        app.setStyleSheet(resource_text("styles", f"{theme}.qss"))
        return theme == DARK
    if _Originals.style:
        app.setStyle(_Originals.style)
    app.setPalette(_Originals.palette)
    dark = system_is_dark()
    app.setStyleSheet(resource_text("styles", f"{DARK if dark else LIGHT}.qss"))
    return dark


class ThemeController(QObject):
    """Keeps the application's theme in step with the `theme` setting."""

    theme_changed = Signal(bool)  # whether the theme is now dark

    def __init__(self, app: QApplication, store: Store, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.app = app
        self.store = store
        self.theme = ""
        self.dark = False
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_MS)
        self._timer.timeout.connect(self.apply_from_settings)
        self._timer.start()
        self.apply_from_settings()

    def apply_from_settings(self) -> None:
        """Read the setting and apply it if it changed."""
        with self.store.read() as session:
            theme = str(load_settings(session).get("theme", SYSTEM))
        if theme != self.theme:
            self.theme = theme
            self.dark = apply_theme(self.app, theme)
            self.theme_changed.emit(self.dark)
