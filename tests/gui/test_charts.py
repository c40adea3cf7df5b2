"""Chart widgets in every state, the strip of charts under a text, and the editor's charts."""

from __future__ import annotations

import concurrent.futures
from datetime import UTC, datetime

import pytest
import shiboken6
from PySide6.QtCore import QPointF, QUrl
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QSplitter, QWidget

from console.charts.embeds import parse_link
from console.charts.prometheus import MetricsError, QueryResult, Series
from console.markdown import render
from console.views.chart_fetcher import ChartFetcher, close_shared_fetcher, shared_fetcher
from console.views.charts import ChartStrip, ChartWidget, note_embeds, series_name
from console.views.markdown_editor import MarkdownEditor

AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
LINK = "http://prom.example:9090/graph?g0.expr=up&g0.range_input=1h&g0.end_input=2026-11-29T10:00Z"


class FakeFetcher:
    """Records requests; the test answers them."""

    def __init__(self) -> None:
        self.pending: dict[int, object] = {}
        self.cancelled: list[int] = []
        self.count = 0

    def submit(self, embed, callback) -> int:
        self.count += 1
        self.pending[self.count] = callback
        return self.count

    def cancel(self, ticket: int) -> None:
        self.cancelled.append(ticket)
        self.pending.pop(ticket, None)

    def answer(self, outcome) -> None:
        for ticket, callback in list(self.pending.items()):
            del self.pending[ticket]
            callback(outcome)


def embed(link: str = LINK):
    found = parse_link(link, AT)
    assert found is not None
    return found


def result() -> QueryResult:
    start = AT.timestamp() - 3600
    times = [start + 60 * i for i in range(61)]
    return QueryResult(
        [
            Series({"__name__": "up", "job": "a"}, times, [1.0] * 61),
            Series({"__name__": "up", "job": "b"}, times, [float(i) for i in range(61)]),
        ],
        1,
    )


@pytest.fixture
def fetcher():
    return FakeFetcher()


def test_loading_then_drawn_with_legend_and_readout(qtbot, fetcher):
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    assert chart.state == "loading" and chart.status.text() == "Loading…"
    fetcher.answer(result())
    assert chart.state == "drawn" and chart.stack.currentWidget() is chart.plot
    assert [name for _, name in [(i, label.text) for i, label in chart.legend.items]] == [
        'up{job="a"}',
        'up{job="b"}',
    ]
    assert len(chart.curves) == 2
    read = chart.readout_at(AT.timestamp() - 3600 + 600)
    assert 'up{job="a"}: 1' in read and 'up{job="b"}: 10' in read
    item = chart.plot.getPlotItem()
    assert item.getAxis("bottom").__class__.__name__ == "DateAxisItem"
    x_range = item.vb.viewRange()[0]
    assert x_range[0] == pytest.approx(AT.timestamp() - 3600)


def test_hover_moves_the_crosshair_and_fills_the_readout(qtbot, fetcher):
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    chart.resize(600, 300)
    chart.show()
    fetcher.answer(result())
    item = chart.plot.getPlotItem()
    centre = item.vb.mapViewToScene(QPointF(AT.timestamp() - 1800, 10))
    chart._hover(centre)
    assert chart.crosshair.isVisible()
    assert 'up{job="b"}: 30' in chart.readout.text()


def test_zoom_then_reset(qtbot, fetcher):
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    fetcher.answer(result())
    item = chart.plot.getPlotItem()
    item.setXRange(AT.timestamp() - 600, AT.timestamp() - 300, padding=0)
    chart.reset_button.click()
    assert item.vb.viewRange()[0][0] == pytest.approx(AT.timestamp() - 3600)


def test_error_and_no_data_are_shown_in_place(qtbot, fetcher):
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    fetcher.answer(MetricsError("HTTP 503: overloaded"))
    assert chart.state == "error" and "HTTP 503: overloaded" in chart.status.text()
    chart.refresh_button.click()
    assert chart.state == "loading"
    fetcher.answer(QueryResult([], 1))
    assert chart.state == "empty" and "No data" in chart.status.text()


def test_closing_cancels_the_request(qtbot, fetcher):
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    chart.close()
    assert fetcher.cancelled == [1] and fetcher.pending == {}


def test_open_only_http_links(qtbot, fetcher, monkeypatch):
    opened: list[QUrl] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", opened.append)
    chart = ChartWidget(embed(), fetcher)
    qtbot.addWidget(chart)
    assert chart.open_button.text() == "Open in Prometheus"
    chart.open_button.click()
    assert [u.toString() for u in opened] == [LINK]
    board = ChartWidget(
        embed("incident-console://metrics?dashboard=d&group=g&title=t&y_label=y"), fetcher
    )
    qtbot.addWidget(board)
    assert board.open_button.isHidden()
    board.open_source()
    assert len(opened) == 1


def test_strip_puts_a_line_of_links_side_by_side(qtbot, fetcher):
    strip = ChartStrip(fetcher=fetcher)
    qtbot.addWidget(strip)
    text = f"# A\n\n{LINK}, {LINK.replace('up', 'down')}\n\n{LINK}\n"
    strip.set_embeds(render(text, AT).embeds)
    assert strip.charts == []  # built after the text is shown, one per turn
    qtbot.waitUntil(lambda: len(strip.charts) == 3)
    assert strip._layout.count() == 2
    assert strip._layout.itemAt(0).layout().count() == 2
    strip.set_embeds(render(text, AT).embeds)  # same links: the same charts, no new request
    assert fetcher.count == 3
    strip.set_embeds([])
    assert strip.charts == [] and sorted(fetcher.cancelled) == [1, 2, 3]


def test_notes_keep_their_charts_apart():
    found = note_embeds([LINK, "text\n" + LINK])
    assert [e.row for e in found] == [0, 100_001]


def test_series_names():
    assert series_name({"__name__": "up", "job": "x"}) == 'up{job="x"}'
    assert series_name({"__name__": "up"}) == "up"
    assert series_name({}) == "{}"


def test_editor_shows_charts_for_its_text(qtbot):
    fetcher = ChartFetcher()  # nothing configured: every chart is refused, without a request
    try:
        editor = MarkdownEditor("Description", "")
        qtbot.addWidget(editor)
        editor.view_charts.fetcher = fetcher
        editor.set_text(f"Intro\n\n{LINK}\n")
        editor.view_charts.flush()
        [chart] = editor.view_charts.charts
        qtbot.waitUntil(lambda: chart.state == "error", timeout=5000)
        assert "not a configured Prometheus" in chart.status.text()
        assert "Intro" in editor.view.toPlainText()
    finally:
        fetcher.close()


def test_charts_appearing_under_a_text_get_most_of_the_height(qtbot):
    fetcher = ChartFetcher()
    try:
        editor = MarkdownEditor("Description", "")
        qtbot.addWidget(editor)
        editor.resize(800, 700)
        editor.show()
        qtbot.waitExposed(editor)
        editor.view_charts.fetcher = fetcher
        editor.set_text(f"Intro\n\n{LINK}\n")
        editor.view_charts.flush()
        split = editor.view.parentWidget()
        assert isinstance(split, QSplitter)
        qtbot.waitUntil(lambda: split.widget(1).isVisible(), timeout=5000)
        text_height, charts_height = split.sizes()
        assert charts_height >= 300 and charts_height >= text_height
    finally:
        fetcher.close()


def test_an_answer_for_a_chart_deleted_meanwhile_goes_nowhere(qtbot):
    # A chart inside an incident view is deleted with the view, without a close event of
    # its own: its request may still answer later, and must not reach the dead widget.
    fetcher = ChartFetcher()  # nothing configured: the answer (an error) comes at once
    try:
        parent = QWidget()
        embed = parse_link(LINK)
        assert embed is not None
        chart = ChartWidget(embed, fetcher, parent)
        ticket = chart.ticket
        assert ticket is not None
        future = fetcher._futures[ticket]
        shiboken6.delete(parent)  # the C++ chart is gone; the Python object lives on
        concurrent.futures.wait([future], timeout=5)
        delivered: list[object] = []
        fetcher.submit(embed, delivered.append)  # a live request, to know when all arrived
        qtbot.waitUntil(lambda: len(delivered) == 1, timeout=5000)
        assert ticket not in fetcher._callbacks
    finally:
        fetcher.close()


def test_the_shared_fetcher_ends_its_thread_when_the_window_closes(qtbot):
    first = shared_fetcher()
    assert first._thread.is_alive()
    close_shared_fetcher()
    assert not first._thread.is_alive()
    again = shared_fetcher()  # a later window gets a working one
    assert again is not first and again._thread.is_alive()
    close_shared_fetcher()
