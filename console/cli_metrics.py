"""Command-line parts for charts: `markdown render`, `metrics query`, `dashboards`, `rules`.

Same conventions as `console.cli`: one-line errors, `--json` for scripts.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson

from console.admin import AdminError
from console.admin import metrics as metrics_admin
from console.admin import settings as settings_admin
from console.charts.embeds import parse_time
from console.charts.prometheus import MetricsError
from console.charts.query import DashboardLookup, MetricsClient, Sources
from console.markdown import render
from console.models import AlertRule
from console.services.alert_rules import Rule, rule_title
from console.store import Store

Common = Callable[..., None]


def _emit(value: Any, as_json: bool, text: Callable[[Any], str]) -> None:
    if as_json:
        sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out = text(value)
        if out:
            sys.stdout.write(out + "\n")


def cmd_markdown(args: argparse.Namespace, store: Store | None) -> int:
    try:
        text = sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AdminError(f"cannot read {args.file}: {exc}") from None
    reference = None
    if args.at:
        reference = parse_time(args.at)
        if reference is None:
            raise AdminError(f"--at must be an ISO 8601 time, not {args.at!r}")
    rendered = render(text, reference)
    value = {"html": rendered.html, "embeds": [e.to_json() for e in rendered.embeds]}
    _emit(value, args.json, lambda v: str(v["html"]))
    return 0


def store_lookup(store: Store) -> DashboardLookup:
    """Panel queries of the store's dashboards."""

    def lookup(name: str, group: str, title: str) -> str | None:
        with store.read() as session:
            return metrics_admin.panel_query(session, name, group, title)

    return lookup


def cmd_metrics(args: argparse.Namespace, store: Store | None) -> int:
    assert store is not None
    with store.read() as session:
        sources = Sources.from_settings(settings_admin.load_settings(session))

    async def run() -> dict[str, Any]:
        client = MetricsClient(sources, dashboards=store_lookup(store), timeout=args.timeout)
        async with client:
            return (await client.fetch_link(args.link)).to_json()

    try:
        value = asyncio.run(run())
    except MetricsError as exc:
        raise AdminError(str(exc)) from None

    def text(v: dict[str, Any]) -> str:
        rows = [f"{s['labels']}  {len(s['points'])} points" for s in v["series"]]
        return "\n".join([*rows, f"step {v['step']:g}s"])

    _emit(value, args.json, text)
    return 0


def cmd_dashboards(args: argparse.Namespace, store: Store | None) -> int:
    assert store is not None
    if args.action == "add":
        try:
            groups = orjson.loads(Path(args.file).read_bytes())
        except (OSError, orjson.JSONDecodeError) as exc:
            raise AdminError(f"cannot read {args.file}: {exc}") from None
        with store.write() as session:
            saved = metrics_admin.save_dashboard(session, args.name, groups)
            value: Any = {"name": saved.name, "groups": saved.groups}
        _emit(value, args.json, lambda v: f"saved dashboard {v['name']}")
    elif args.action == "list":
        with store.read() as session:
            value = [
                {"name": d.name, "groups": d.groups} for d in metrics_admin.list_dashboards(session)
            ]
        _emit(value, args.json, lambda v: "\n".join(d["name"] for d in v))
    else:  # link
        with store.read() as session:
            found = [d for d in metrics_admin.list_dashboards(session) if d.name == args.name]
            if not found:
                raise AdminError(f"no dashboard named {args.name}")
            value = {"link": metrics_admin.panel_link(found[0], args.group, args.title)}
        _emit(value, args.json, lambda v: str(v["link"]))
    return 0


def rule_json(rule: AlertRule) -> dict[str, Any]:
    """A rule for `--json`."""
    plain = Rule(rule.id, rule.query, rule.operator, rule.threshold, rule.for_seconds, "")
    return {
        "id": rule.id,
        "title": rule_title(plain),
        "query": rule.query,
        "operator": rule.operator,
        "threshold": rule.threshold,
        "for_seconds": rule.for_seconds,
        "severity": rule.severity,
        "paused": rule.paused,
    }


def cmd_rules(args: argparse.Namespace, store: Store | None) -> int:
    assert store is not None
    with store.write() as session:
        if args.action == "add":
            made = metrics_admin.add_rule(
                session,
                args.query,
                args.op,
                args.threshold,
                duration=args.duration,
                severity=args.severity,
            )
            value: Any = rule_json(made)
        elif args.action in ("pause", "resume"):
            value = rule_json(metrics_admin.set_paused(session, args.id, args.action == "pause"))
        elif args.action == "delete":
            metrics_admin.delete_rule(session, args.id)
            value = {"deleted": args.id}
        else:
            value = [rule_json(r) for r in metrics_admin.list_rules(session)]

    def text(v: Any) -> str:
        items = v if isinstance(v, list) else [v]
        return "\n".join(
            f"{i['id']}  {i['title']}{'  (paused)' if i['paused'] else ''}"
            if "title" in i
            else f"deleted rule {i['deleted']}"
            for i in items
        )

    _emit(value, args.json, text)
    return 0


def register(commands: Any, common: Common) -> None:
    """Add the chart commands to the top-level subparsers."""
    md = commands.add_parser("markdown", help="render Markdown the way the console shows it")
    md_actions = md.add_subparsers(dest="action", required=True, parser_class=type(md))
    p = md_actions.add_parser("render", help="safe HTML and the metric charts a text embeds")
    p.add_argument("file", help="a Markdown file ('-' reads stdin)")
    p.add_argument("--at", help="moment relative chart ranges end at (ISO 8601; default now)")
    p.add_argument("--json", action="store_true", help="print JSON")
    md.set_defaults(handler=cmd_markdown, needs_store=False)

    metrics = commands.add_parser("metrics", help="query the data behind metric charts")
    met_actions = metrics.add_subparsers(dest="action", required=True, parser_class=type(md))
    p = met_actions.add_parser("query", help="fetch a chart link's series")
    p.add_argument("link", help="Prometheus graph link, Grafana panel link or dashboard link")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds per request")
    common(p)
    metrics.set_defaults(handler=cmd_metrics)

    boards = commands.add_parser("dashboards", help="console dashboards charts can embed")
    board_actions = boards.add_subparsers(dest="action", required=True, parser_class=type(md))
    p = board_actions.add_parser("add", help="create or replace a dashboard from a JSON file")
    p.add_argument("name")
    p.add_argument("--file", required=True, help='[{"group": g, "panels": [{"title", "query", '
                   '"y_label", "unit"}]}]')  # fmt: skip
    common(p)
    common(board_actions.add_parser("list", help="list dashboards"))
    p = board_actions.add_parser("link", help="the embed link of a panel")
    p.add_argument("name")
    p.add_argument("group")
    p.add_argument("title")
    common(p)
    boards.set_defaults(handler=cmd_dashboards)

    rules = commands.add_parser("rules", help="console-managed Prometheus alert rules")
    rule_actions = rules.add_subparsers(dest="action", required=True, parser_class=type(md))
    p = rule_actions.add_parser("add", help="alert when QUERY OP THRESHOLD holds for DURATION")
    p.add_argument("query")
    p.add_argument("--op", required=True, choices=metrics_admin.OPERATORS)
    p.add_argument("--threshold", required=True, type=float)
    p.add_argument("--for", dest="duration", default="0s", help="e.g. 5m (default 0s)")
    p.add_argument("--severity", default="critical")
    common(p)
    common(rule_actions.add_parser("list", help="list rules"))
    for action in ("pause", "resume", "delete"):
        p = rule_actions.add_parser(action, help=f"{action} a rule")
        p.add_argument("id", type=int)
        common(p)
    rules.set_defaults(handler=cmd_rules)
