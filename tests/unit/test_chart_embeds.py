"""Which links become charts, what they ask for, and `markdown render --json`."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from console.charts.embeds import iso, parse_duration, parse_link, parse_time
from console.charts.prometheus import choose_step
from console.cli import main
from console.markdown import MAX_EMBEDS, render

AT = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
PROM = "http://prom.example:9090/graph?g0.expr="


@pytest.mark.parametrize(
    ("url", "kind", "query", "start", "end"),
    [
        (PROM + "up&g0.range_input=1h", "prometheus", "up", "09:00:00", "10:00:00"),
        (PROM + "up", "prometheus", "up", "09:00:00", "10:00:00"),  # Prometheus's default 1h
        (PROM + "rate(x%5B5m%5D)&g0.range_input=30m", "prometheus", "rate(x[5m])", "09:30", "10"),
        (PROM + "up&g0.range_input=1h30m", "prometheus", "up", "08:30:00", "10:00:00"),
        (
            PROM + "up&g0.range_input=2h&g0.end_input=2026-11-29%2008%3A00&g0.tab=0",
            "prometheus", "up", "06:00:00", "08:00:00",
        ),
        (
            "https://p.example/prom/graph?g0.expr=up&g0.range_input=1d&g0.end_input=2026-11-29T08:00:00Z",
            "prometheus", "up", "2026-11-28T08:00:00", "08:00:00",
        ),
        (
            "https://grafana.example/d/AbC/svc?orgId=1&panelId=4&from=1764410400000&to=1764414000000",
            "grafana", "", "2025-11-29T10:00:00", "2025-11-29T11:00:00",
        ),
        (
            "https://g.example/grafana/d/AbC/svc?panelId=4&from=1000&to=61000&var-env=prod",
            "grafana", "", "1970-01-01T00:00:01", "1970-01-01T00:01:01",
        ),
        (
            "incident-console://metrics?dashboard=d&group=g&title=t&y_label=y",
            "dashboard", "", "02:00:00", "10:00:00",
        ),
        (
            "incident-console://metrics?dashboard=d&group=g&title=t&y_label=y"
            "&start=2026-11-29T01:00:00Z&end=2026-11-29T02:00:00Z",
            "dashboard", "", "01:00:00", "02:00:00",
        ),
    ],
)  # fmt: skip
def test_valid_links(url, kind, query, start, end):
    embed = parse_link(url, AT)
    assert embed is not None
    assert (embed.kind, embed.query) == (kind, query)
    assert start in iso(embed.start) and end in iso(embed.end)
    assert iso(embed.start).endswith("Z") and embed.start < embed.end


@pytest.mark.parametrize(
    "url",
    [
        "http://prom.example:9090/graph",  # no expression
        PROM,  # empty expression
        PROM + "up&g0.range_input=",  # empty range
        PROM + "up&g0.range_input=1x",  # bad unit
        PROM + "up&g0.range_input=0s",  # empty range
        PROM + "up&g0.range_input=-1h",
        PROM + "up&g0.end_input=yesterday",
        PROM + "up&g0.expr=down",  # two expressions
        "http://prom.example:notaport/graph?g0.expr=up",
        "ftp://prom.example/graph?g0.expr=up",
        "http://prom.example/graphs?g0.expr=up",
        "https://grafana.example/d/AbC/svc",
        "https://grafana.example/d/AbC/svc?panelId=4",  # no from/to
        "https://grafana.example/d/AbC/svc?panelId=4&from=1000",
        "https://grafana.example/d/AbC/svc?panelId=4&from=now-1h&to=now",  # not milliseconds
        "https://grafana.example/d/AbC/svc?panelId=x&from=1&to=2",
        "https://grafana.example/d/AbC/svc?panelId=4&from=2&to=1",  # backwards
        "https://grafana.example/dashboard/AbC?panelId=4&from=1&to=2",
        "incident-console://metrics?dashboard=d&group=g&title=t",  # no y_label
        "incident-console://metrics?dashboard=d&group=g&title=t&y_label=y&start=2026-11-29T01:00Z",
        "incident-console://metrics?dashboard=d&group=g&title=t&y_label=y"
        "&start=2026-11-29T02:00Z&end=2026-11-29T01:00Z",
        "incident-console://incident/3",
        "incident-console://metricsx?dashboard=d&group=g&title=t&y_label=y",
    ],
)
def test_near_misses_are_not_embeds(url):
    assert parse_link(url, AT) is None
    assert render(url, AT).embeds == []


def test_durations_and_times():
    assert parse_duration("1h30m") == timedelta(minutes=90)
    assert parse_duration("2w") == timedelta(weeks=2)
    assert parse_duration("h") is None and parse_duration("1h ") is None
    assert parse_time("2026-11-29 10:00") == AT
    assert parse_time("2026-11-29T11:00:00+01:00") == AT
    assert parse_time("nonsense") is None


def test_step_keeps_series_under_the_point_limit():
    assert choose_step(AT - timedelta(hours=1), AT) == 1
    for span in (timedelta(hours=3), timedelta(days=30), timedelta(days=400)):
        step = choose_step(AT - span, AT)
        assert span.total_seconds() / step + 1 <= 11_000
        assert step == int(step) >= 1


def test_render_lists_embeds_with_rows_and_shared_rows():
    text = "\n".join(
        [
            "# Incident",
            PROM + "up&g0.range_input=1h",
            "words " + PROM + "up",
            PROM
            + "a, "
            + PROM
            + "b  incident-console://metrics?dashboard=d&group=g&title=t&y_label=y",
        ]
    )
    rendered = render(text, AT)
    assert [(e.row, e.kind, e.query) for e in rendered.embeds] == [
        (1, "prometheus", "up"),
        (3, "prometheus", "a"),
        (3, "prometheus", "b"),
        (3, "dashboard", ""),
    ]
    assert [e.to_json()["row"] for e in rendered.embeds] == [2, 4, 4, 4]
    assert rendered.embed_rows == [1, 3]  # the old API still answers


def test_near_miss_on_a_line_stays_a_plain_link():
    rendered = render(PROM + "up&g0.range_input=bad", AT)
    assert rendered.embeds == [] and rendered.embed_rows == []
    assert "<a href=" in rendered.html and "metrics-embed" not in rendered.html


def test_at_most_100_embeds_per_text():
    rendered = render("\n".join([PROM + "up"] * (MAX_EMBEDS + 3)), AT)
    assert len(rendered.embeds) == MAX_EMBEDS


def test_cli_markdown_render_json(tmp_path, capsys):
    source = tmp_path / "incident.md"
    source.write_text(
        "Look:\n\n"
        + PROM
        + "up&g0.range_input=1h&g0.end_input=2026-11-29T10:00:00Z, "
        + PROM
        + "down&g0.range_input=1h&g0.end_input=2026-11-29T10:00:00Z\n"
    )
    assert main(["markdown", "render", str(source), "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "metrics-embed-2" in out["html"]
    assert out["embeds"] == [
        {
            "kind": "prometheus",
            "source": PROM + f"{q}&g0.range_input=1h&g0.end_input=2026-11-29T10:00:00Z",
            "query": q,
            "start": "2026-11-29T09:00:00Z",
            "end": "2026-11-29T10:00:00Z",
            "title": q,
            "y_label": "",
            "row": 3,
        }
        for q in ("up", "down")
    ]


def test_cli_markdown_render_relative_to_a_moment(tmp_path, capsys):
    source = tmp_path / "a.md"
    source.write_text(PROM + "up&g0.range_input=30m\n")
    assert main(["markdown", "render", str(source), "--json", "--at", "2026-11-29T10:00:00Z"]) == 0
    embed = json.loads(capsys.readouterr().out)["embeds"][0]
    assert (embed["start"], embed["end"], embed["row"]) == (
        "2026-11-29T09:30:00Z",
        "2026-11-29T10:00:00Z",
        1,
    )


def test_cli_markdown_render_missing_file(tmp_path, capsys):
    assert main(["markdown", "render", str(tmp_path / "none.md")]) == 1
    assert "cannot read" in capsys.readouterr().err
