"""Charts drawn from a real Prometheus without blocking the GUI thread."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from console.charts.embeds import parse_link
from console.charts.query import Sources
from console.views.chart_fetcher import ChartFetcher
from console.views.charts import ChartWidget
from tests.integration.chart_peers import start_prometheus, stop_prometheus

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    running = start_prometheus(tmp_path_factory.mktemp("prometheus"))
    yield running.url
    stop_prometheus(running)


@pytest.fixture
def fetcher(prometheus):
    made = ChartFetcher(lambda: Sources((prometheus,)))
    yield made
    made.close()


def test_chart_fills_in_from_prometheus(qtbot, prometheus, fetcher):
    link = f"{prometheus}/graph?g0.expr={quote('up or prometheus_build_info')}&g0.range_input=5m"
    embed = parse_link(link)
    assert embed is not None
    chart = ChartWidget(embed, fetcher)
    qtbot.addWidget(chart)
    assert chart.state == "loading"  # submit returned at once; the data comes later
    qtbot.waitUntil(lambda: chart.state != "loading", timeout=10_000)
    assert chart.state == "drawn", chart.status.text()
    assert len(chart.curves) == 2 and chart.result is not None and chart.result.step == 1
    chart.refresh_button.click()
    qtbot.waitUntil(lambda: chart.state == "drawn", timeout=10_000)


def test_unconfigured_and_bad_queries_show_their_reason(qtbot, prometheus, fetcher):
    other = parse_link("http://127.0.0.1:1/graph?g0.expr=up")
    bad = parse_link(f"{prometheus}/graph?g0.expr=up%7B")
    assert other is not None and bad is not None
    charts = [ChartWidget(other, fetcher), ChartWidget(bad, fetcher)]
    for chart in charts:
        qtbot.addWidget(chart)
    qtbot.waitUntil(lambda: all(c.state == "error" for c in charts), timeout=10_000)
    assert "not a configured Prometheus" in charts[0].status.text()
    assert "HTTP 400" in charts[1].status.text()


def test_closed_chart_is_never_called_back(qtbot, prometheus, fetcher):
    embed = parse_link(f"{prometheus}/graph?g0.expr=up&g0.range_input=5m")
    assert embed is not None
    chart = ChartWidget(embed, fetcher)
    qtbot.addWidget(chart)
    chart.close()
    qtbot.wait(500)
    assert chart.state == "loading" and fetcher._callbacks == {}
