"""Chart data from a real Prometheus, directly and through a Grafana that follows its API."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import httpx
import pytest

from console.charts.embeds import parse_link
from console.charts.prometheus import MetricsError, query_range
from console.charts.query import MetricsClient, Sources
from console.cli import main
from tests.conftest import set_settings
from tests.integration.chart_peers import (
    TOKEN,
    FakeGrafana,
    dashboard,
    run_grafana,
    start_prometheus,
    stop_prometheus,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    running = start_prometheus(tmp_path_factory.mktemp("prometheus"))
    yield running.url
    stop_prometheus(running)


@pytest.fixture
def grafana(prometheus):
    fake = FakeGrafana(prometheus, {"svc": dashboard('up{job="$job"}')})
    yield from run_grafana(fake)


def graph_link(base: str, expr: str, span: str = "5m") -> str:
    return f"{base}/graph?g0.expr={quote(expr)}&g0.range_input={span}"


def fetch(sources: Sources, link: str, **kwargs):
    async def run():
        async with MetricsClient(sources, **kwargs) as client:
            return await client.fetch_link(link)

    return asyncio.run(run())


def test_query_range_from_a_configured_prometheus(prometheus):
    result = fetch(Sources((prometheus + "/",)), graph_link(prometheus, "up"))
    assert result.step == 1
    [series] = result.series
    assert series.labels["job"] == "prometheus"
    assert len(series.times) >= 3 and set(series.values) == {1.0}
    assert series.times == sorted(set(series.times))


def test_several_series_each_with_its_labels(prometheus):
    result = fetch(Sources((prometheus,)), graph_link(prometheus, "prometheus_build_info or up"))
    names = {s.labels.get("__name__") for s in result.series}
    assert names == {"prometheus_build_info", "up"}


def test_long_ranges_choose_a_step_prometheus_accepts(prometheus):
    for span, step in (("4h", 2), ("30d", 260), ("1y", 3154)):
        result = fetch(Sources((prometheus,)), graph_link(prometheus, "vector(1)", span))
        assert result.step == step
        assert len(result.series[0].times) <= 11_000


def test_prometheus_refuses_too_many_points_and_the_reason_is_shown(prometheus):
    end = datetime.now(UTC)

    async def run():
        async with httpx.AsyncClient() as client:
            return await query_range(
                client, prometheus, "up", start=end - timedelta(hours=4), end=end, step=1
            )

    with pytest.raises(MetricsError, match=r"HTTP 400: .*11,000 points"):
        asyncio.run(run())


def test_bad_query_shows_prometheus_error(prometheus):
    with pytest.raises(MetricsError, match=r"HTTP 400: .*parse error"):
        fetch(Sources((prometheus,)), graph_link(prometheus, "up{"))


def test_unconfigured_hosts_are_refused_without_a_request(prometheus):
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(500)

    port = prometheus.rsplit(":", 1)[1]
    others = [
        graph_link(f"http://localhost:{port}", "up"),  # other host name
        graph_link("http://127.0.0.1:1", "up"),  # other port
        graph_link(prometheus.replace("http:", "https:"), "up"),  # other scheme
        f"{prometheus}/d/svc/service?panelId=2&from=1000&to=2000",  # Prometheus is not Grafana
    ]
    for link in others:
        with pytest.raises(MetricsError, match="not contacted"):
            fetch(Sources((prometheus,)), link, transport=httpx.MockTransport(record))
    assert seen == []


def test_unreachable_source_says_so():
    with pytest.raises(MetricsError, match="unreachable"):
        fetch(Sources(("http://127.0.0.1:1",)), graph_link("http://127.0.0.1:1", "up"))


def test_results_are_cached_per_range(prometheus):
    link = graph_link(prometheus, "up") + "&g0.end_input=" + quote(datetime.now(UTC).isoformat())
    embed = parse_link(link)
    assert embed is not None
    calls: list[str] = []

    async def run():
        async with MetricsClient(Sources((prometheus,))) as client:
            original = client.http.get

            async def counting(*args, **kwargs):
                calls.append(args[0])
                return await original(*args, **kwargs)

            client.http.get = counting  # type: ignore[method-assign]
            first = await client.fetch(embed)
            second = await client.fetch(embed)
            return first, second

    first, second = asyncio.run(run())
    assert first is second and len(calls) == 1


def test_cancelled_fetch_leaves_nothing_cached(prometheus):
    embed = parse_link(graph_link(prometheus, "up"))
    assert embed is not None

    async def run():
        async with MetricsClient(Sources((prometheus,))) as client:
            task = asyncio.create_task(client.fetch(embed))
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert client._cache == {}
            return await client.fetch(embed)

    assert asyncio.run(run()).series


def test_cli_metrics_query(prometheus, db_url, store, capsys):
    set_settings(store, prometheus_urls=prometheus)
    assert main(["metrics", "query", graph_link(prometheus, "up"), "--json", "--db", db_url]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["step"] == 1
    [series] = out["series"]
    assert series["labels"]["job"] == "prometheus"
    t, v = series["points"][0]
    assert isinstance(t, float) and v == 1.0
    assert main(["metrics", "query", graph_link("http://10.0.0.1", "up"), "--db", db_url]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a configured Prometheus" in err


# --- Grafana ---------------------------------------------------------------------------------


def grafana_link(grafana: FakeGrafana, uid: str = "svc", extra: str = "&var-job=prometheus"):
    end = int(datetime.now(UTC).timestamp() * 1000)
    return f"{grafana.url}/d/{uid}/service?orgId=1&panelId=2&from={end - 300_000}&to={end}{extra}"


def grafana_sources(grafana: FakeGrafana, token: str = TOKEN) -> Sources:
    return Sources((), grafana.url + "/", token)


def test_grafana_panel_through_the_three_calls(grafana):
    result = fetch(grafana_sources(grafana), grafana_link(grafana))
    [series] = result.series
    assert series.labels["job"] == "prometheus" and series.values
    assert [path.split("?")[0] for path in grafana.requests] == [
        "/api/dashboards/uid/svc",
        "/api/datasources/name/Prometheus",
        "/api/datasources/proxy/1/api/v1/query_range",
    ]
    assert "job%3D%22prometheus%22" in grafana.requests[2]


def test_grafana_builtin_variables_are_filled_in(grafana):
    grafana.dashboards["svc"] = dashboard("rate(prometheus_http_requests_total[$__interval])")
    fetch(grafana_sources(grafana), grafana_link(grafana, extra=""))
    assert "%5B1s%5D" in grafana.requests[-1]


@pytest.mark.parametrize(
    ("uid", "extra", "token", "message"),
    [
        ("nope", "&var-job=p", TOKEN, "HTTP 404: Dashboard not found"),
        ("svc", "&var-job=p", "wrong", "HTTP 401: Unauthorized"),
        ("moved", "&var-job=p", TOKEN, "HTTP 302: redirected to /api/dashboards/uid/svc"),
        ("svc", "", TOKEN, r"no value for \$job"),
    ],
)
def test_grafana_errors(grafana, uid, extra, token, message):
    with pytest.raises(MetricsError, match=message):
        fetch(grafana_sources(grafana, token), grafana_link(grafana, uid, extra))


@pytest.mark.parametrize(
    ("model", "message"),
    [
        (dashboard("up", datasource="Missing"), "HTTP 404: Data source not found"),
        (dashboard("up", datasource="Loki"), "not Prometheus"),
        (dashboard("up[$__interval_ms]"), "not supported"),
    ],
)
def test_grafana_panel_checks(grafana, model, message):
    grafana.dashboards["svc"] = model
    with pytest.raises(MetricsError, match=message):
        fetch(grafana_sources(grafana), grafana_link(grafana))


def test_other_grafana_hosts_are_refused(grafana):
    link = grafana_link(grafana).replace("127.0.0.1", "localhost")
    with pytest.raises(MetricsError, match="not the configured Grafana"):
        fetch(grafana_sources(grafana), link)
    assert grafana.requests == []


def test_dashboard_links_need_stored_dashboards(prometheus):
    link = "incident-console://metrics?dashboard=ops&group=g&title=t&y_label=y"
    with pytest.raises(MetricsError, match="no dashboard named ops"):
        fetch(Sources((prometheus,)), link)
