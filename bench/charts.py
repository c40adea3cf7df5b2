"""Chart benchmark: a million points, an incident with ten live charts, pan and zoom.

    QT_QPA_PLATFORM=offscreen python bench/charts.py [--points 1000000] [--charts 10]

Starts a real Prometheus (the `prometheus` binary) on 127.0.0.1 scraping itself every second.
One JSON line per figure:

- `draw_1m_ms`: one series of `--points` points handed to a chart and painted (a synchronous
  `grab()`), with automatic peak downsampling and clip-to-view; median of 5. Target ≤ 100 ms.
- `incident_text_visible_ms`: an incident description holding `--charts` Prometheus graph
  links set on the editor until its text is in the document and painted (charts still
  loading). Target ≤ 50 ms. `incident_all_charts_drawn_ms`: until every chart has drawn its data.
- `pan_zoom_fps`: the million-point chart panned and zoomed 120 times, each step a range
  change plus a synchronous repaint. Target ≥ 30 fps.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np
from PySide6.QtWidgets import QApplication

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from console.charts.embeds import parse_link
from console.charts.prometheus import QueryResult, Series
from console.charts.query import Sources
from console.views.chart_fetcher import ChartFetcher
from console.views.charts import ChartWidget
from console.views.markdown_editor import MarkdownEditor
from tests.integration.chart_peers import start_prometheus, stop_prometheus

QUERIES = [
    "up",
    "rate(prometheus_http_requests_total[1m])",
    "process_resident_memory_bytes",
    "go_goroutines",
    "prometheus_tsdb_head_series",
    "rate(process_cpu_seconds_total[1m])",
    "go_memstats_alloc_bytes",
    "prometheus_tsdb_head_samples_appended_total",
    "scrape_duration_seconds",
    "prometheus_engine_queries",
]


def emit(figure: str, **values: object) -> None:
    print(json.dumps({"figure": figure, **values}), flush=True)


def big_chart(app: QApplication, points: int) -> ChartWidget:
    end = datetime.now(UTC)
    start = end - timedelta(seconds=points)
    embed = parse_link(
        f"http://bench.invalid/graph?g0.expr=x&g0.range_input={points}s"
        f"&g0.end_input={quote(end.isoformat())}"
    )
    assert embed is not None
    fetcher = ChartFetcher()
    chart = ChartWidget(embed, fetcher, autoload=False)
    chart.resize(900, 320)
    chart.show()
    app.processEvents()
    times = np.linspace(start.timestamp(), end.timestamp(), points).tolist()
    values = np.cumsum(np.random.default_rng(1).standard_normal(points)).tolist()
    result = QueryResult([Series({"__name__": "x"}, times, values)], 1)
    samples = []
    for _ in range(5):
        began = time.perf_counter()
        chart.draw(result)
        chart.plot.grab()
        samples.append((time.perf_counter() - began) * 1000)
    emit(
        "draw_1m_ms",
        points=points,
        median=round(statistics.median(samples), 1),
        max=round(max(samples), 1),
        target=100,
    )
    return chart


def pan_zoom(app: QApplication, chart: ChartWidget, steps: int = 120) -> None:
    item = chart.plot.getPlotItem()
    low, high = chart.embed.start.timestamp(), chart.embed.end.timestamp()
    span = high - low
    began = time.perf_counter()
    for step in range(steps):
        width = span * (0.2 + 0.8 * abs(np.sin(step / 15)))  # zoom in and out
        left = low + (span - width) * (step % 40) / 40  # pan across
        item.setXRange(left, left + width, padding=0)
        chart.plot.grab()
        app.processEvents()
    elapsed = time.perf_counter() - began
    emit("pan_zoom_fps", fps=round(steps / elapsed, 1), frames=steps, target=30)


def incident(app: QApplication, prometheus: str, charts: int) -> None:
    fetcher = ChartFetcher(lambda: Sources((prometheus,)))
    links = [
        f"{prometheus}/graph?g0.expr={quote(QUERIES[n % len(QUERIES)])}&g0.range_input=15m"
        for n in range(charts)
    ]
    text = "## Impact\n\nService degraded.\n\n" + "\n\n".join(
        " ".join(links[n : n + 2]) for n in range(0, charts, 2)
    )
    editor = MarkdownEditor("Description", "")
    editor.view_charts.fetcher = fetcher
    editor.resize(1200, 900)
    editor.show()
    app.processEvents()
    began = time.perf_counter()
    editor.set_text(text)
    editor.view.viewport().grab()  # painted, not only laid out
    visible = "Service degraded." in editor.view.toPlainText()
    text_ms = (time.perf_counter() - began) * 1000
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        states = [c.state for c in editor.view_charts.charts]
        if len(states) == charts and all(s not in ("loading", "idle") for s in states):
            break
        app.processEvents()
        time.sleep(0.001)
    for chart in editor.view_charts.charts:
        chart.plot.grab()
    drawn_ms = (time.perf_counter() - began) * 1000
    states = [c.state for c in editor.view_charts.charts]
    emit("incident_text_visible_ms", ms=round(text_ms, 1), visible=visible, target=50)
    emit(
        "incident_all_charts_drawn_ms",
        ms=round(drawn_ms, 1),
        charts=len(states),
        drawn=states.count("drawn"),
        states=sorted(set(states)),
    )
    fetcher.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--points", type=int, default=1_000_000)
    parser.add_argument("--charts", type=int, default=10)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)
    chart = big_chart(app, args.points)
    pan_zoom(app, chart)
    chart.fetcher.close()
    with tempfile.TemporaryDirectory() as folder:
        prometheus = start_prometheus(Path(folder), samples=5)
        try:
            incident(app, prometheus.url, args.charts)
        finally:
            stop_prometheus(prometheus)


if __name__ == "__main__":
    main()
