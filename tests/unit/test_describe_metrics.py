"""Incidents from Prometheus alerts carry a chart of the alert's query around its start."""

from __future__ import annotations

from datetime import UTC, datetime

from console.engine.describe import incident_description, metrics_link
from console.ingest.normalized import Action, NormalizedAlert
from console.markdown import render

START = datetime(2026, 11, 29, 10, 15, tzinfo=UTC)


def alert(generator: object = "http://prom.example:9090/graph?g0.expr=up&g0.tab=1", query="up"):
    payload = {} if generator is None else {"generatorURL": generator}
    return NormalizedAlert(
        title="Down",
        action=Action.TRIGGER,
        started_at=START,
        severity="critical",
        fingerprint=None,
        monitoring_tool="Prometheus",
        full_query=query,
        payload=payload,
    )


def test_prometheus_alert_gets_a_chart_from_30_minutes_before_to_30_after():
    text = incident_description(alert(query='rate(x{a="b"}[5m]) > 1'), "")
    assert "#### Metrics" in text
    [embed] = render(text).embeds
    assert embed.kind == "prometheus"
    assert embed.query == 'rate(x{a="b"}[5m]) > 1'
    assert embed.to_json()["start"] == "2026-11-29T09:45:00Z"
    assert embed.to_json()["end"] == "2026-11-29T10:45:00Z"
    assert embed.base == "http://prom.example:9090"


def test_no_chart_without_a_graph_link_or_a_query():
    for made in (
        alert(None),
        alert("not a url"),
        alert("javascript:alert(1)//graph"),
        alert("http://prom/alerts"),
        alert(query=""),
        alert(12),
    ):
        assert metrics_link(made) == ""
        assert "#### Metrics" not in incident_description(made, "")


def test_path_prefix_is_kept():
    link = metrics_link(alert("https://ops.example/prometheus/graph?g0.expr=up"))
    assert link.startswith("https://ops.example/prometheus/graph?g0.expr=up&g0.range_input=1h")
