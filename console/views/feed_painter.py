"""Paints the alert feed's rows in one pass, so scrolling a million-row feed stays smooth.

Qt's own table paint asks the model for every role of every visible cell, builds a style
option and lays its text out again for each cell on every paint: about two thirds of a
scroll step's time on a full screen, and more under a style sheet. This painter asks the
model once per row for the row's look (`AlertFeedModel.look`) and draws the cells itself:
texts that repeat on every screen (severities, counts, statuses) and texts that must be
elided are laid out once per width and font and kept (`QStaticText`); the others, mostly
seen once while scrolling, are drawn straight when their characters' advances say they fit.

What it draws is what Qt's item view draws for this table: alternating row colours, the
selection (active or inactive), new alerts bold on their tint, the severity icon and
colour, right-aligned numbers, "…" for rows not read yet and a focus frame around the
current row. The model still answers `data()` for everything else (tooltips,
accessibility, tests).
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPointF, QRect, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QFontMetricsF,
    QPainter,
    QPalette,
    QPixmap,
    QStaticText,
)
from PySide6.QtWidgets import QStyle, QStyleOptionFocusRect, QTableView

from console.views import severity_style
from console.views.alert_feed_model import (
    ALERT,
    EVENTS,
    INCIDENT,
    LOADING,
    SEVERITY,
    STATUS,
    AlertFeedModel,
)

REMEMBERED_TEXTS = 2000  # a few screens of texts, even on a 4K wall display
RIGHT_ALIGNED = (EVENTS, INCIDENT)
# Texts that repeat on every screen: laid out once and kept. The others (times, titles,
# incident numbers) are mostly drawn once; they are drawn straight when they fit.
REPEATING = (SEVERITY, EVENTS, STATUS)
ELIDE_RIGHT = Qt.TextElideMode.ElideRight  # enum look-ups cost a Python call each
PLAIN_TEXT = Qt.TextFormat.PlainText


class _Advances(dict[str, float]):
    """Each character's advance in one font, measured the first time it is drawn."""

    def __init__(self, metrics: QFontMetricsF) -> None:
        super().__init__()
        self.metrics = metrics

    def __missing__(self, char: str) -> float:
        advance = self[char] = self.metrics.horizontalAdvance(char)
        return advance


class _Font:
    """A font of the table with what drawing needs from it."""

    def __init__(self, font: QFont) -> None:
        self.font = font
        metrics = QFontMetricsF(font)
        self.metrics = QFontMetrics(font)
        self.height = metrics.height()
        self.ascent = metrics.ascent()
        self._advances = _Advances(metrics)

    def width_if_plain(self, text: str) -> float | None:
        """The width of ASCII `text` as the sum of its characters' advances; None for other
        text, whose shaping (ligatures, combining marks, scripts) can change its width."""
        if not text.isascii():
            return None
        return sum(map(self._advances.__getitem__, text))


class _Colors:
    """The colours of one paint, from the table's palette."""

    def __init__(self, palette: QPalette, group: QPalette.ColorGroup, dark: bool) -> None:
        self.alternate = palette.color(group, QPalette.ColorRole.AlternateBase)
        self.highlight = palette.color(group, QPalette.ColorRole.Highlight)
        self.highlighted_text = palette.color(group, QPalette.ColorRole.HighlightedText)
        self.plain = palette.color(group, QPalette.ColorRole.Text)
        self.muted = palette.color(group, QPalette.ColorRole.PlaceholderText)
        self.new = severity_style.new_alert_background(dark)
        self.dark = dark

    def background(self, row: int, selected: bool, new: bool) -> QColor | None:
        """The row's fill; None where the viewport's own base shows through."""
        if selected:
            return self.highlight
        if new:
            return self.new
        return self.alternate if row % 2 else None

    def severity(self, severity: str) -> QColor:
        """The pen for a severity's label."""
        return severity_style.style(severity).color(self.dark)


@dataclass(slots=True)
class _Frame:
    """What one paint needs to know about the table, read once per paint."""

    cells: list[tuple[int, int, int, int]]  # (column, x, width, room for text), in order
    height: int
    right: int
    margin: int
    icon_size: int
    ratio: float
    fonts: tuple[_Font, _Font]  # plain, bold
    colors: _Colors


class FeedRowPainter:
    """Draws the visible rows of a `FeedTable` over an `AlertFeedModel`."""

    def __init__(self) -> None:
        # (text, room, bold) -> laid out text. Severities, statuses and counts repeat on
        # every screen; the rest is reused while the same rows are repainted.
        self._texts: dict[tuple[str, int, bool], QStaticText] = {}
        self._icons: dict[tuple[str, bool, float, int], QPixmap] = {}
        self._fonts: tuple[_Font, _Font] | None = None

    def forget(self) -> None:
        """Drop what was laid out (the font or the style changed)."""
        self._texts.clear()
        self._icons.clear()
        self._fonts = None

    def paint(self, table: QTableView, model: AlertFeedModel, region: QRect) -> None:
        """Paint the rows of `table` that meet `region` (viewport coordinates)."""
        rows = model.rowCount()
        first = table.rowAt(region.top())
        if rows == 0 or first < 0:
            return
        last = table.rowAt(region.bottom())
        if last < 0:
            last = rows - 1
        frame = self._frame(table, model, region)
        selection: QItemSelectionModel | None = table.selectionModel()
        if selection is not None and not selection.hasSelection():
            selection = None  # asking each row costs ~10 µs
        root = QModelIndex()
        painter = QPainter(table.viewport())
        try:
            for row in range(first, last + 1):
                selected = selection is not None and selection.isRowSelected(row, root)
                self._row(painter, frame, table.rowViewportPosition(row), row, model, selected)
            current = table.currentIndex()
            if table.hasFocus() and current.isValid() and first <= current.row() <= last:
                self._focus(table, painter, frame, table.rowViewportPosition(current.row()))
        finally:
            painter.end()

    # -- parts -------------------------------------------------------------------------------

    def _frame(self, table: QTableView, model: AlertFeedModel, region: QRect) -> _Frame:
        style = table.style()
        margin = style.pixelMetric(QStyle.PixelMetric.PM_FocusFrameHMargin, None, table) + 1
        icon_size = style.pixelMetric(QStyle.PixelMetric.PM_SmallIconSize, None, table)
        header = table.horizontalHeader()
        cells = []
        for visual in range(header.count()):
            column = header.logicalIndex(visual)
            if 0 <= column < model.columnCount() and not header.isSectionHidden(column):
                width = header.sectionSize(column)
                room = width - 2 * margin - (icon_size + 2 * margin if column == SEVERITY else 0)
                cells.append((column, table.columnViewportPosition(column), width, room))
        palette = table.palette()
        active = table.isActiveWindow()
        group = QPalette.ColorGroup.Active if active else QPalette.ColorGroup.Inactive
        return _Frame(
            cells=cells,
            height=table.verticalHeader().defaultSectionSize(),
            right=region.right() + 1,
            margin=margin,
            icon_size=icon_size,
            ratio=table.devicePixelRatioF(),
            fonts=self._fonts_of(table),
            colors=_Colors(palette, group, severity_style.is_dark(palette)),
        )

    def _row(  # noqa: PLR0917 (one call site, in a hot loop)
        self,
        painter: QPainter,
        frame: _Frame,
        top: int,
        row: int,
        model: AlertFeedModel,
        selected: bool,
    ) -> None:
        look = model.look(row)
        new = look is not None and model.is_new(look.row.iid)
        background = frame.colors.background(row, selected, new)
        if background is not None:
            painter.fillRect(QRect(0, top, frame.right, frame.height), background)
        if look is None:
            self._loading(painter, frame, top, selected)
            return
        font = frame.fonts[1] if new else frame.fonts[0]
        painter.setFont(font.font)
        severity = look.row.severity
        texts = self._texts
        plain = frame.colors.highlighted_text if selected else frame.colors.plain
        height = frame.height
        for column, x, width, room in frame.cells:
            text = look.texts[column]
            if not text or room <= 0:
                continue
            left: float = x + frame.margin
            if column == SEVERITY:
                icon = self._icon(severity, frame)
                painter.drawPixmap(x + frame.margin, top + (height - frame.icon_size) // 2, icon)
                left += frame.icon_size + 2 * frame.margin
                painter.setPen(plain if selected else frame.colors.severity(severity))
            else:
                painter.setPen(plain)
            static = texts.get((text, room, new))
            if static is None:
                fits = None if column in REPEATING else font.width_if_plain(text)
                if fits is not None and fits <= room:
                    if column in RIGHT_ALIGNED:
                        left = x + width - frame.margin - fits
                    baseline = top + (height - font.height) / 2 + font.ascent
                    painter.drawText(QPointF(left, baseline), text)
                    continue
                static = self._lay_out(text, room, new, font)
            size = static.size()
            if column in RIGHT_ALIGNED:
                left = x + width - frame.margin - size.width()
            painter.drawStaticText(QPointF(left, top + (height - size.height()) / 2), static)

    def _fonts_of(self, table: QTableView) -> tuple[_Font, _Font]:
        plain = table.font()
        if self._fonts is None or self._fonts[0].font != plain:
            self._texts.clear()
            bold = QFont(plain)
            bold.setBold(True)
            self._fonts = (_Font(QFont(plain)), _Font(bold))
        return self._fonts

    def _lay_out(self, text: str, room: int, bold: bool, font: _Font) -> QStaticText:
        """`text` elided to `room` pixels and laid out, remembered for the next paints."""
        static = QStaticText(font.metrics.elidedText(text, ELIDE_RIGHT, room))
        static.setTextFormat(PLAIN_TEXT)
        static.prepare(font=font.font)
        texts = self._texts
        if len(texts) >= REMEMBERED_TEXTS:
            del texts[next(iter(texts))]  # the oldest
        texts[text, room, bold] = static
        return static

    def _icon(self, severity: str, frame: _Frame) -> QPixmap:
        key = (severity, frame.colors.dark, frame.ratio, frame.icon_size)
        pixmap = self._icons.get(key)
        if pixmap is None:
            icon = severity_style.icon(severity, frame.colors.dark)
            size = QSize(frame.icon_size, frame.icon_size)
            pixmap = self._icons[key] = icon.pixmap(size, frame.ratio)
        return pixmap

    @staticmethod
    def _loading(painter: QPainter, frame: _Frame, top: int, selected: bool) -> None:
        painter.setFont(frame.fonts[0].font)
        painter.setPen(frame.colors.highlighted_text if selected else frame.colors.muted)
        for column, x, width, _room in frame.cells:
            if column == ALERT:
                cell = QRect(x + frame.margin, top, width - 2 * frame.margin, frame.height)
                painter.drawText(cell, Qt.AlignmentFlag.AlignVCenter, LOADING)

    @staticmethod
    def _focus(table: QTableView, painter: QPainter, frame: _Frame, top: int) -> None:
        option = QStyleOptionFocusRect()
        option.initFrom(table)
        option.rect = QRect(0, top, frame.right, frame.height)
        option.state |= QStyle.StateFlag.State_KeyboardFocusChange
        style = table.style()
        style.drawPrimitive(QStyle.PrimitiveElement.PE_FrameFocusRect, option, painter, table)
