"""How each severity looks: a colour for dark and for light backgrounds, a shape and a glyph.

Severity is never told by colour alone: every severity has its own icon shape (octagon,
triangle, diamond, square, circle, ring) and glyph for text-only places, and views show its
name beside them. Colours keep at least 4.5:1 contrast against the usual window background
of their palette. Icons are painted here, so no image files are needed and they stay sharp
at any device pixel ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import (
    QBrush,
    QColor,
    QGuiApplication,
    QIcon,
    QPainter,
    QPalette,
    QPen,
    QPixmap,
    QPolygonF,
)

from console.models import Severity

ICON_SIZES = (16, 24, 32, 48, 64)


@dataclass(frozen=True, slots=True)
class SeverityStyle:
    """The look of one severity."""

    name: str
    label: str
    glyph: str
    shape: str
    dark: str
    light: str

    def color(self, dark: bool) -> QColor:
        """The severity's colour on a dark (or light) background (shared: do not modify)."""
        return _shared_color(self.dark if dark else self.light)


STYLES: dict[str, SeverityStyle] = {
    s.name: s
    for s in (
        SeverityStyle(Severity.CRITICAL.value, "Critical", "⬣", "octagon", "#ff6b6b", "#b00020"),
        SeverityStyle(Severity.HIGH.value, "High", "▲", "triangle", "#ffa94d", "#b54708"),
        SeverityStyle(Severity.MEDIUM.value, "Medium", "◆", "diamond", "#ffd43b", "#8a6100"),
        SeverityStyle(Severity.LOW.value, "Low", "■", "square", "#74c0fc", "#1c5fa8"),
        SeverityStyle(Severity.INFO.value, "Info", "●", "circle", "#63e6be", "#0b7a5a"),
        SeverityStyle(Severity.UNKNOWN.value, "Unknown", "○", "ring", "#ced4da", "#495057"),
    )
}
# Rows of alerts that arrived since the feed was opened, until someone has seen them.
NEW_ALERT_BACKGROUND = {True: "#1d3b5c", False: "#fff3bf"}


@cache
def _shared_color(name: str) -> QColor:
    # Views keep a colour per row; one object per colour spares thousands of copies.
    return QColor(name)


def style(severity: str) -> SeverityStyle:
    """The style of `severity` (anything unexpected looks unknown)."""
    return STYLES.get(severity, STYLES[Severity.UNKNOWN.value])


def is_dark(palette: QPalette | None = None) -> bool:
    """Whether a palette (the application's by default) has a dark window background."""
    if palette is None:
        palette = QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightnessF() < 0.5


def color(severity: str, dark: bool | None = None) -> QColor:
    """The colour of `severity` for the current (or the given) palette."""
    return style(severity).color(is_dark() if dark is None else dark)


def new_alert_background(dark: bool | None = None) -> QColor:
    """The background that marks a new, unseen alert."""
    return QColor(NEW_ALERT_BACKGROUND[is_dark() if dark is None else dark])


def _polygon(shape: str, size: float) -> QPolygonF:
    c, r = size / 2, size * 0.44
    if shape == "octagon":
        points = [
            (
                c + r * math.cos(math.pi / 8 + k * math.pi / 4),
                c + r * math.sin(math.pi / 8 + k * math.pi / 4),
            )
            for k in range(8)
        ]
    elif shape == "triangle":
        points = [(c, c - r), (c + r, c + r * 0.8), (c - r, c + r * 0.8)]
    elif shape == "diamond":
        points = [(c, c - r), (c + r, c), (c, c + r), (c - r, c)]
    else:  # square
        s = r * 0.85
        points = [(c - s, c - s), (c + s, c - s), (c + s, c + s), (c - s, c + s)]
    return QPolygonF([QPointF(x, y) for x, y in points])


def _paint(severity: str, dark: bool, size: int) -> QPixmap:
    look = style(severity)
    fill = look.color(dark)
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    outline = QColor("#000000" if not dark else "#ffffff")
    outline.setAlphaF(0.55)
    painter.setPen(QPen(outline, max(1.0, size / 16)))
    if look.shape == "ring":
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setPen(QPen(fill, max(2.0, size / 7)))
        painter.drawEllipse(QPointF(size / 2, size / 2), size * 0.34, size * 0.34)
    elif look.shape == "circle":
        painter.setBrush(QBrush(fill))
        painter.drawEllipse(QPointF(size / 2, size / 2), size * 0.4, size * 0.4)
    else:
        painter.setBrush(QBrush(fill))
        painter.drawPolygon(_polygon(look.shape, size))
    painter.end()
    return pixmap


def icon(severity: str, dark: bool | None = None) -> QIcon:
    """The severity's icon (shape and colour) for the current (or the given) palette."""
    return _icon(
        severity if severity in STYLES else Severity.UNKNOWN.value,
        is_dark() if dark is None else dark,
    )


@cache
def _icon(severity: str, dark: bool) -> QIcon:
    result = QIcon()
    for size in ICON_SIZES:
        result.addPixmap(_paint(severity, dark, size))
    return result
