"""Console dashboards and console-managed alert rules against a real Prometheus."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from console.admin import AdminError
from console.admin import metrics as metrics_admin
from console.cli import main
from console.engine.writer import GroupCommitWriter
from console.models import Alert
from console.services.alert_rules import RuleEvaluator
from tests.conftest import set_settings
from tests.integration.chart_peers import start_prometheus, stop_prometheus

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def prometheus(tmp_path_factory):
    running = start_prometheus(tmp_path_factory.mktemp("prometheus"))
    yield running.url
    stop_prometheus(running)


def alerts(store) -> list[tuple[str, str, str]]:
    with store.read() as session:
        rows = session.scalars(select(Alert).order_by(Alert.iid)).all()
        return [(a.title, a.status, a.severity) for a in rows]


def evaluate(store, steps):
    """Run `steps(evaluator)` with a real writer; returns what it returns."""

    async def run():
        writer = GroupCommitWriter(store)
        writer.start()
        try:
            return await steps(RuleEvaluator(store, writer.submit))
        finally:
            await writer.close()

    return asyncio.run(run())


def test_rule_raises_and_resolves_through_the_pipeline(prometheus, store):
    set_settings(store, prometheus_urls=prometheus)
    with store.write() as session:
        rule_id = metrics_admin.add_rule(session, "up", "==", 1, severity="high").id

    async def steps(evaluator):
        raised = await evaluator.run_once()
        again = await evaluator.run_once()  # still firing: nothing new
        with store.write() as session:
            metrics_admin.set_paused(session, rule_id, True)
        resolved = await evaluator.run_once()
        return raised, again, resolved

    raised, again, resolved = evaluate(store, steps)
    assert [r.outcome for r in raised] == ["created"]
    assert again == []
    assert [r.outcome for r in resolved] == ["resolved"]
    assert alerts(store) == [("up == 1 for 0s", "resolved", "high")]


def test_rule_waits_for_its_duration(prometheus, store):
    set_settings(store, prometheus_urls=prometheus)
    with store.write() as session:
        metrics_admin.add_rule(session, "up", ">", 0, duration="1m")
        metrics_admin.add_rule(session, "up", "<", 0)  # never breached

    async def steps(evaluator):
        now = datetime.now(UTC)
        first = await evaluator.run_once(now)
        later = await evaluator.run_once(now + timedelta(seconds=61))
        return first, later

    first, later = evaluate(store, steps)
    assert all(r.outcome == "no_open_alert" for r in first)  # resolves after a start only
    assert [r.title for r in later if r.outcome == "created"] == ["up > 0 for 1m"]
    assert alerts(store) == [("up > 0 for 1m", "triggered", "critical")]


def test_unreachable_prometheus_changes_nothing(store):
    set_settings(store, prometheus_urls="http://127.0.0.1:1")
    with store.write() as session:
        metrics_admin.add_rule(session, "up", "==", 1)

    async def steps(evaluator):
        return await evaluator.run_once()

    assert evaluate(store, steps) == []
    assert alerts(store) == []


def test_rule_validation(store):
    with store.write() as session:
        with pytest.raises(AdminError, match="operator"):
            metrics_admin.add_rule(session, "up", "=>", 1)
        with pytest.raises(AdminError, match="duration"):
            metrics_admin.add_rule(session, "up", ">", 1, duration="soon")
        with pytest.raises(AdminError, match="severity"):
            metrics_admin.add_rule(session, "up", ">", 1, severity="dire")
        for odd in (float("nan"), float("inf"), float("-inf")):
            with pytest.raises(AdminError, match="threshold must be a finite number"):
                metrics_admin.add_rule(session, "up", ">", odd)
    with store.read() as session:
        assert metrics_admin.list_rules(session) == []


def test_dashboard_link_charts_a_stored_panel(prometheus, db_url, store, tmp_path, capsys):
    set_settings(store, prometheus_urls=prometheus)
    board = tmp_path / "ops.json"
    board.write_text(
        json.dumps(
            [{"group": "Health", "panels": [{"title": "Up", "query": "up", "y_label": "up"}]}]
        )
    )
    assert main(["dashboards", "add", "ops", "--file", str(board), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["dashboards", "link", "ops", "Health", "Up", "--json", "--db", db_url]) == 0
    link = json.loads(capsys.readouterr().out)["link"]
    assert link == "incident-console://metrics?dashboard=ops&group=Health&title=Up&y_label=up"
    assert main(["metrics", "query", link, "--json", "--db", db_url]) == 0
    [series] = json.loads(capsys.readouterr().out)["series"]
    assert series["labels"]["job"] == "prometheus"
    missing = link.replace("ops", "nope")
    assert main(["metrics", "query", missing, "--db", db_url]) == 1
    assert "no dashboard named nope" in capsys.readouterr().err


def test_rules_cli(db_url, capsys):
    args = ["rules", "add", "rate(x[5m])", "--op", ">", "--threshold", "0.5", "--for", "5m"]
    assert main([*args, "--json", "--db", db_url]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["title"] == "rate(x[5m]) > 0.5 for 5m" and made["for_seconds"] == 300
    assert main(["rules", "pause", str(made["id"]), "--db", db_url]) == 0
    assert "(paused)" in capsys.readouterr().out
    assert main(["rules", "delete", str(made["id"]), "--db", db_url]) == 0
    capsys.readouterr()
    assert main(["rules", "list", "--json", "--db", db_url]) == 0
    assert json.loads(capsys.readouterr().out) == []
