"""Live metric charts drawn with pyqtgraph, one per embed, filled in as their data arrives.

`ChartWidget` shows one embed: a title, a local-time axis, one line per label set with a
legend, the y label, a read-out of every series at the cursor, zoom and pan (mouse) with a
reset button, refresh, and "Open in Prometheus/Grafana". While data is on its way it says so;
when it cannot be had it shows why, in place. `ChartStrip` lays out the charts of a rendered
text: one row per line of links, the charts of a line side by side.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPointF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.charts.embeds import Embed
from console.charts.prometheus import MetricsError, QueryResult, Series
from console.markdown import MAX_EMBEDS, render
from console.views.chart_fetcher import ChartFetcher, Outcome, shared_fetcher

CHART_HEIGHT = 260
CHART_HEADER_HEIGHT = 40  # a chart's query and buttons above it
TEXT_MIN_HEIGHT = 80  # of a text above its charts, when the charts appear
NOTE_ROWS = 100_000  # rows of note n count from n * NOTE_ROWS, so notes never share a row
OPENABLE = ("http", "https")
SOURCE_NAMES = {"prometheus": "Prometheus", "grafana": "Grafana"}


def series_name(labels: dict[str, str]) -> str:
    """`metric{a="b", c="d"}`, the way Prometheus writes a label set."""
    name = labels.get("__name__", "")
    rest = ", ".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}" if rest or not name else name


def _value_text(value: float) -> str:
    if math.isnan(value):
        return "–"
    return f"{value:.6g}"


class ChartWidget(QWidget):
    """One chart; fetches on `load()` (called at once unless `autoload=False`)."""

    def __init__(
        self,
        embed: Embed,
        fetcher: ChartFetcher | None = None,
        parent: QWidget | None = None,
        *,
        autoload: bool = True,
    ) -> None:
        super().__init__(parent)
        self.embed = embed
        self.fetcher = fetcher or shared_fetcher()
        self.ticket: int | None = None
        self.result: QueryResult | None = None
        self.state = "idle"
        self.curves: list[tuple[Series, pg.PlotDataItem, np.ndarray, np.ndarray]] = []
        self.setMinimumHeight(CHART_HEIGHT)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)

        self.title = QLabel(embed.title or embed.query or embed.source)
        self.title.setToolTip(embed.source)
        self.title.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.refresh_button = QPushButton("Refresh")
        self.reset_button = QPushButton("Reset zoom")
        self.open_button = QPushButton(f"Open in {SOURCE_NAMES.get(embed.kind, 'browser')}")
        self.open_button.setVisible(embed.kind in SOURCE_NAMES)
        self.alert_button = QPushButton("Add alert…")
        self.alert_button.setVisible(
            embed.kind == "prometheus" and getattr(self.fetcher, "add_alert", None) is not None
        )
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.readout = QLabel(" ")
        self.readout.setWordWrap(True)

        self.plot = pg.PlotWidget(axisItems={"bottom": pg.DateAxisItem(orientation="bottom")})
        item = self.plot.getPlotItem()
        item.setDownsampling(auto=True, mode="peak")
        item.setClipToView(True)
        item.showGrid(x=True, y=True, alpha=0.2)
        if embed.y_label:
            item.setLabel("left", embed.y_label)
        self.legend = item.addLegend(offset=(5, 5))
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setVisible(False)
        item.addItem(self.crosshair, ignoreBounds=True)
        self.plot.scene().sigMouseMoved.connect(self._hover)

        self.stack = QStackedWidget()
        self.stack.addWidget(self.status)
        self.stack.addWidget(self.plot)
        head = QHBoxLayout()
        head.addWidget(self.title, 1)
        head.addWidget(self.reset_button)
        head.addWidget(self.refresh_button)
        head.addWidget(self.open_button)
        head.addWidget(self.alert_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)
        layout.addWidget(self.readout)

        self.refresh_button.clicked.connect(self.load)
        self.reset_button.clicked.connect(self.reset_zoom)
        self.open_button.clicked.connect(self.open_source)
        self.alert_button.clicked.connect(self.add_alert)
        if autoload:
            self.load()

    def load(self) -> None:
        """(Re)fetch the data; the chart says it is loading meanwhile."""
        self.cancel()
        self._show_status("loading", "Loading…")
        self.ticket = self.fetcher.submit(self.embed, self.show_outcome)

    def cancel(self) -> None:
        """Stop waiting for data (the widget is going away or reloading)."""
        if self.ticket is not None:
            self.fetcher.cancel(self.ticket)
            self.ticket = None

    def show_outcome(self, outcome: Outcome) -> None:
        """Draw a result, or show why there is none."""
        self.ticket = None
        if isinstance(outcome, MetricsError):
            self._show_status("error", f"Could not load this chart: {outcome}")
        elif not any(s.times for s in outcome.series):
            self.result = outcome
            self._show_status("empty", "No data for this range.")
        else:
            self.draw(outcome)

    def draw(self, result: QueryResult) -> None:
        """Replace the lines with `result`'s series."""
        self.result = result
        item = self.plot.getPlotItem()
        for _, curve, _, _ in self.curves:
            item.removeItem(curve)
        self.legend.clear()
        self.curves = []
        count = len(result.series)
        for index, series in enumerate(result.series):
            times = np.asarray(series.times, dtype=float)
            values = np.asarray(series.values, dtype=float)
            pen = pg.mkPen(pg.intColor(index, hues=max(count, 8)), width=1.5)
            curve = item.plot(times, values, pen=pen, name=series_name(series.labels))
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.curves.append((series, curve, times, values))
        item.setXRange(self.embed.start.timestamp(), self.embed.end.timestamp(), padding=0)
        item.enableAutoRange(axis="y")
        self.state = "drawn"
        self.stack.setCurrentWidget(self.plot)

    def reset_zoom(self) -> None:
        """Back to the link's whole range, every value in view."""
        item = self.plot.getPlotItem()
        item.setXRange(self.embed.start.timestamp(), self.embed.end.timestamp(), padding=0)
        item.enableAutoRange(axis="y")

    def open_source(self) -> None:
        """Open the link in the browser (http and https only)."""
        url = QUrl(self.embed.source)
        if url.scheme().lower() in OPENABLE:
            QDesktopServices.openUrl(url)

    def add_alert(self) -> None:
        """Open the alert rule form for this chart's query."""
        handler = getattr(self.fetcher, "add_alert", None)
        if handler is not None:
            handler(self.embed, self)

    def readout_at(self, moment: float) -> str:
        """Every series' value at (the sample nearest before) `moment`, one per line."""
        if not self.curves:
            return ""
        when = datetime.fromtimestamp(moment).astimezone().strftime("%Y-%m-%d %H:%M:%S")
        parts = [when]
        for series, _, times, values in self.curves:
            if not len(times):
                continue
            index = int(
                np.clip(np.searchsorted(times, moment, side="right") - 1, 0, len(times) - 1)
            )
            parts.append(f"{series_name(series.labels)}: {_value_text(float(values[index]))}")
        return "\n".join(parts)

    def _hover(self, position: QPointF) -> None:
        item = self.plot.getPlotItem()
        if not self.curves or not item.sceneBoundingRect().contains(position):
            self.crosshair.setVisible(False)
            return
        moment = item.vb.mapSceneToView(position).x()
        self.crosshair.setPos(moment)
        self.crosshair.setVisible(True)
        self.readout.setText(self.readout_at(moment))

    def _show_status(self, state: str, text: str) -> None:
        self.state = state
        self.status.setText(text)
        self.stack.setCurrentWidget(self.status)

    def closeEvent(self, event: object) -> None:  # Qt's name
        self.cancel()
        super().closeEvent(event)  # type: ignore[arg-type]


class ChartStrip(QWidget):
    """The charts of one rendered text, a row per line of links; `shown(bool)` on change.

    Charts are built one per event-loop turn after `set_embeds` returns, so the text they
    belong to is on screen first and the window stays responsive while they are made.
    """

    shown = Signal(bool)

    def __init__(self, parent: QWidget | None = None, fetcher: ChartFetcher | None = None) -> None:
        super().__init__(parent)
        self.fetcher = fetcher
        self.charts: list[ChartWidget] = []
        self._shown: list[tuple[int, str]] = []
        self._pending: list[Embed] = []
        self._rows: dict[int, QHBoxLayout] = {}
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._builder = QTimer(self)
        self._builder.setInterval(0)
        self._builder.timeout.connect(self._build_next)
        self.setVisible(False)

    def set_embeds(self, embeds: list[Embed]) -> None:
        """Show charts for `embeds`; the same links as before keep their charts and data."""
        wanted = [(e.row, e.source) for e in embeds]
        if wanted == self._shown:
            return
        self.clear()
        self._shown = wanted
        self._pending = list(embeds)
        if self._pending:
            self._builder.start()

    def flush(self) -> None:
        """Build every pending chart now."""
        while self._pending:
            self._build_next()

    def _build_next(self) -> None:
        if not self._pending:
            self._builder.stop()
            return
        embed = self._pending.pop(0)
        if embed.row not in self._rows:
            self._rows[embed.row] = QHBoxLayout()
            self._layout.addLayout(self._rows[embed.row])
        chart = ChartWidget(embed, self.fetcher or shared_fetcher())
        self._rows[embed.row].addWidget(chart)
        self.charts.append(chart)
        if len(self.charts) == 1:
            self.setVisible(True)
            self.shown.emit(True)
        if not self._pending:
            self._builder.stop()

    def clear(self) -> None:
        """Remove every chart, cancelling what they wait for."""
        self._builder.stop()
        self._pending = []
        for chart in self.charts:
            chart.cancel()
            chart.setParent(None)
            chart.deleteLater()
        self.charts = []
        self._shown = []
        self._rows = {}
        while self._layout.count():
            self._layout.takeAt(0)
        self.setVisible(False)
        self.shown.emit(False)


def with_charts(text: QWidget, strip: ChartStrip) -> QSplitter:
    """`text` above its charts (scrollable; hidden while there are none), split resizably."""
    scroll = QScrollArea()
    scroll.setWidgetResizable(True)
    scroll.setWidget(strip)
    scroll.setVisible(False)
    split = QSplitter(Qt.Orientation.Vertical)
    split.addWidget(text)
    split.addWidget(scroll)
    split.setChildrenCollapsible(False)
    split.setStretchFactor(0, 1)
    split.setStretchFactor(1, 2)

    def show(visible: bool) -> None:
        appearing = visible and scroll.isHidden()
        scroll.setVisible(visible)
        if appearing:
            # A section that appears in a splitter gets only its minimum height: give the
            # charts half of it, and at least one chart with its header.
            total = max(sum(split.sizes()), split.height())
            charts = min(max(CHART_HEIGHT + CHART_HEADER_HEIGHT, total // 2), total)
            split.setSizes([max(total - charts, TEXT_MIN_HEIGHT), charts])

    strip.shown.connect(show)
    return split


def note_embeds(bodies: Iterable[str]) -> list[Embed]:
    """The charts of several notes, in order, each note's rows apart; MAX_EMBEDS at most."""
    found: list[Embed] = []
    for index, body in enumerate(bodies):
        found += [e.at_row(index * NOTE_ROWS + e.row) for e in render(body).embeds]
    return found[-MAX_EMBEDS:]
