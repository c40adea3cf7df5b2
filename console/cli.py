"""The command line: `serve` and the administration commands, each with `--db URL`.

Errors are one line on stderr and a non-zero exit (2 for usage, 1 for a refused action);
never a traceback. `--json` output is the stable interface scripts and tests rely on.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, NoReturn

import orjson

from console import __version__, cli_metrics, config
from console.admin import AdminError
from console.admin import integrations as integrations_admin
from console.admin import settings as settings_admin
from console.admin import templates as templates_admin
from console.engine import lifecycle, quick_actions
from console.models import MAX_STORED_INTEGER, AlertStatus
from console.queries import (
    ALERT_FILTERS,
    alert_json,
    integration_json,
    list_alerts,
    list_incidents,
    show_alert,
    show_incident,
    template_json,
)
from console.store import Store, StoreError, open_store
from console.text import not_utf8

PROG = "incident-console"
# More workers than this only fight over the store's one write lock.
MAX_WORKERS = 64


class CliError(Exception):
    """A refused command, with its one-line message."""


class Parser(argparse.ArgumentParser):
    """argparse with one-line errors."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message}\n")


# A count such as --limit: a whole number from 0 up.
count_argument = config.number_argument("a whole number", MAX_STORED_INTEGER)


def emit(value: Any, as_json: bool, text: Callable[[Any], str] | None = None) -> None:
    """Print `value` as JSON, or as the text `text` makes of it."""
    if as_json or text is None:
        sys.stdout.write(orjson.dumps(value, option=orjson.OPT_INDENT_2).decode() + "\n")
    else:
        out = text(value)
        if out:
            sys.stdout.write(out + "\n")


def actor() -> str:
    """Who is running the command, for system notes."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "console"


def _table(rows: list[list[str]]) -> str:
    if not rows:
        return ""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows
    )


# --- serve -----------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace, store: Store) -> int:
    from console.runtime import INGEST_SWITCH_INTERVAL, Runtime, WorkerRole

    with store.read() as session:
        settings = settings_admin.load_settings(session)
    host = args.host or settings["listen_host"]
    port = args.port if args.port is not None else settings["listen_port"]
    if not 1 <= args.workers <= MAX_WORKERS:
        raise CliError(f"--workers must be between 1 and {MAX_WORKERS}")
    if args.workers > 1 and args.worker_index is None:
        return _supervise_workers(store, host, port, args.workers)
    role: WorkerRole | None = None
    if args.worker_index is not None:
        if args.worker_dir is None or args.worker_index < 0:
            raise CliError("--worker-index is given by `serve --workers`, with --worker-dir")
        from console import serve_workers

        serve_workers.die_with_supervisor(args.worker_of)
        role = WorkerRole(
            index=args.worker_index,
            directory=Path(args.worker_dir),
            database=store.sqlite_path,
        )

    # The writer's committer thread hands each finished commit back to the loop; with the
    # default 5 ms switch interval that hand-off waited for a busy loop (measured here:
    # new-alert ingest ~4,300/s at 5 ms, ~4,600-5,100/s at 1 ms).
    sys.setswitchinterval(INGEST_SWITCH_INTERVAL)

    async def run() -> None:
        # Handlers first: a signal that arrives while starting still stops us cleanly.
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        runtime = Runtime(store, host=host, port=port, worker=role)
        # Settings may move the listener while it runs; say where it listens now.
        runtime.moved = lambda url: print(f"Incident Console listening on {url}", flush=True)
        try:
            await runtime.start()
        except OSError as exc:
            raise CliError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        print(f"Incident Console listening on {runtime.listener.url}", flush=True)
        print(f"Store: {store.display_url}", flush=True)
        # What start-up made stays for good; a full collection walking it all stalled the
        # loop for tens of ms every few seconds under load (p99 ack ~60 ms -> ~20 ms).
        gc.collect()
        gc.freeze()
        await stop.wait()
        print("Stopping: finishing requests and committing accepted alerts", flush=True)
        await runtime.stop()

    asyncio.run(run())
    return 0


def _supervise_workers(store: Store, host: str, port: int, count: int) -> int:
    """`serve --workers N` (N > 1): become the supervisor of N listener processes.

    Through exec, so the supervisor (console/serve_workers.py) carries none of the command
    line's modules; it keeps this process's id, so signals sent to `serve` reach it.
    """
    from console import serve_workers

    if not serve_workers.supported():
        raise CliError("--workers above 1 needs Linux (SO_REUSEPORT spreads the connections)")
    if store.sqlite_path is None:
        # The workers' write lock and their own WAL syncs are SQLite's; on PostgreSQL each
        # worker would wait for the others with its event loop stopped. Untested there too.
        raise CliError(
            "--workers above 1 needs a SQLite store; with PostgreSQL, run one serve per machine"
        )
    argv = [
        sys.executable,
        "-m",
        "console.serve_workers",
        "--db",
        store.url,
        "--host",
        host,
        "--port",
        str(port),
        "--workers",
        str(count),
        "--store-display",
        store.display_url,
    ]
    store.dispose()  # the workers open their own connections
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(sys.executable, argv)  # noqa: S606 (our own interpreter and module)
    raise AssertionError("unreachable: exec does not return")


# --- integrations ----------------------------------------------------------------------------


def cmd_integrations(args: argparse.Namespace, store: Store) -> int:
    action = args.action
    if action == "list":
        with store.read() as session:
            items = [integration_json(i) for i in integrations_admin.list_all(session)]
        emit(
            items,
            args.json,
            lambda v: _table(
                [["NAME", "TYPE", "ACTIVE", "URL", "LAST ALERT"]]
                + [
                    [
                        i["name"],
                        i["type"],
                        str(i["active"]).lower(),
                        i["url"],
                        i["last_alert_at"] or "-",
                    ]
                    for i in v
                ]
            ),
        )
        return 0
    if action == "show":
        with store.read() as session:
            shown = integration_json(integrations_admin.find(session, args.name))
        emit(shown, args.json, lambda v: "\n".join(f"{k}: {v[k]}" for k in v))
        return 0
    with store.write() as session:
        if action == "add":
            created = integrations_admin.create(session, args.name, args.type)
            shown = integration_json(created.integration)
            shown["token"] = created.token
        elif action == "regenerate-token":
            renewed = integrations_admin.regenerate_token(session, args.name)
            shown = integration_json(renewed.integration)
            shown["token"] = renewed.token
        elif action == "set-mapping":
            shown = integration_json(integrations_admin.set_mapping(session, args.name, args.field))
        elif action in ("activate", "deactivate"):
            changed = integrations_admin.set_active(session, args.name, action == "activate")
            shown = integration_json(changed)
        elif action == "rename":
            shown = integration_json(integrations_admin.rename(session, args.name, args.new_name))
        else:  # delete
            integrations_admin.delete(session, args.name)
            shown = {"deleted": args.name}
    keys = ("name", "identifier", "url", "token") if action == "add" else tuple(shown)
    emit(
        {k: shown[k] for k in keys} if action == "add" else shown,
        args.json,
        lambda v: "\n".join(f"{k}: {v[k]}" for k in v),
    )
    if "token" in shown and not args.json:
        print("The token is shown only now; it is stored hashed.", file=sys.stderr)
    return 0


# --- alerts and incidents --------------------------------------------------------------------


def cmd_alerts(args: argparse.Namespace, store: Store) -> int:
    if args.action == "list":
        with store.read() as session:
            items = [alert_json(a) for a in list_alerts(session, args.status, args.limit)]
        emit(
            items,
            args.json,
            lambda v: _table(
                [["IID", "SEVERITY", "STATUS", "EVENTS", "INCIDENT", "TITLE"]]
                + [
                    [
                        str(a["iid"]),
                        a["severity"],
                        a["status"],
                        str(a["events"]),
                        f"#{a['incident_iid']}" if a["incident_iid"] else "-",
                        a["title"],
                    ]
                    for a in v
                ]
            ),
        )
        return 0
    if args.action == "show":
        with store.read() as session:
            emit(
                show_alert(session, args.iid),
                args.json,
                lambda v: "\n".join(f"{k}: {v[k]}" for k in v if k != "notes"),
            )
        return 0
    with store.write() as session:
        alert = lifecycle.set_alert_status(session, args.iid, args.status, actor())
        shown = alert_json(alert)
    emit(shown, args.json, lambda v: f"alert #{v['iid']} is {v['status']}")
    return 0


def cmd_incidents(args: argparse.Namespace, store: Store) -> int:
    if args.action == "list":
        with store.read() as session:
            items = list_incidents(session, args.status)
        emit(
            items,
            args.json,
            lambda v: _table(
                [["IID", "STATUS", "SEVERITY", "ALERTS", "TITLE"]]
                + [
                    [
                        str(i["iid"]),
                        i["status"],
                        i["severity"],
                        ",".join(f"#{a}" for a in i["alert_iids"]) or "-",
                        i["title"],
                    ]
                    for i in v
                ]
            ),
        )
        return 0
    if args.action == "show":
        with store.read() as session:
            shown = show_incident(session, args.iid)

        def text(v: dict[str, Any]) -> str:
            notes = "\n".join(f"- {n['created_at']} {n['author']}: {n['body']}" for n in v["notes"])
            return (
                f"#{v['iid']} {v['title']} [{v['status']}, {v['severity']}]\n\n"
                f"{v['description']}\n\nNotes:\n{notes}"
            )

        emit(shown, args.json, text)
        return 0
    if args.action == "note":
        try:
            body = sys.stdin.read() if args.body == "-" else args.body
        except UnicodeDecodeError:  # where standard input is decoded strictly
            body = None
        if body is None or not_utf8([body]) is not None:
            raise CliError("the note is not valid UTF-8 text")
        with store.write() as session:  # a refused quick action rolls everything back
            done = quick_actions.apply_to_note(session, args.iid, body, actor())
        noted = {"iid": done.iid, "note": done.text or None, "actions": list(done.messages)}

        def said(v: dict[str, Any]) -> str:
            lines = list(v["actions"])
            if v["note"]:
                lines.append(f"note added to incident #{v['iid']}")
            return "\n".join(lines)

        emit(noted, args.json, said)
        return 0
    with store.write() as session:
        if args.action == "close":
            incident = lifecycle.close_incident(session, args.iid, actor())
        else:
            incident = lifecycle.reopen_incident(session, args.iid, actor())
        result = {"iid": incident.iid, "status": incident.status}
    emit(result, args.json, lambda v: f"incident #{v['iid']} is {v['status']}")
    return 0


# --- settings and templates ------------------------------------------------------------------


def cmd_settings(args: argparse.Namespace, store: Store) -> int:
    if args.action == "set":
        with store.write() as session:
            value = settings_admin.set_setting(session, args.key, args.value)
        opt = config.option(args.key)
        shown = "********" if opt.secret else value
        emit({args.key: shown}, args.json, lambda v: f"{args.key} = {orjson.dumps(shown).decode()}")
        return 0
    with store.read() as session:
        values = settings_admin.public_settings(settings_admin.load_settings(session))
    emit(values, args.json, lambda v: "\n".join(f"{k} = {orjson.dumps(v[k]).decode()}" for k in v))
    return 0


def cmd_templates(args: argparse.Namespace, store: Store) -> int:
    if args.action == "add":
        try:
            content = Path(args.file).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise CliError(f"cannot read {args.file}: {exc}") from None
        with store.write() as session:
            shown = template_json(
                templates_admin.save(session, args.name, content, replace=args.replace)
            )
        emit({"name": shown["name"]}, args.json, lambda v: f"template {v['name']!r} saved")
        return 0
    if args.action == "delete":
        with store.write() as session:
            templates_admin.delete(session, args.name)
        emit({"deleted": args.name}, args.json, lambda v: f"template {args.name!r} deleted")
        return 0
    if args.action in ("rename", "duplicate"):
        change = templates_admin.rename if args.action == "rename" else templates_admin.duplicate
        with store.write() as session:
            name = change(session, args.name, args.new_name).name
        done = "renamed to" if args.action == "rename" else "duplicated as"
        emit({"name": name}, args.json, lambda v: f"template {args.name!r} {done} {v['name']!r}")
        return 0
    if args.action == "import":
        found = templates_admin.read_folder(args.dir)
        with store.write() as session:
            result = templates_admin.import_templates(session, found, replace=args.replace)
        imported = {"added": result.added, "replaced": result.replaced, "skipped": result.skipped}
        emit(
            imported,
            args.json,
            lambda v: "\n".join(f"{k}: {', '.join(v[k])}" for k in v if v[k]),
        )
        if result.skipped and not args.json:
            print("Skipped templates already in the store (use --replace).", file=sys.stderr)
        return 0
    if args.action == "export":
        with store.read() as session:
            pairs = [(t.name, t.content) for t in templates_admin.list_all(session)]
        written = [str(path) for path in templates_admin.write_folder(args.dir, pairs)]
        emit({"written": written}, args.json, lambda v: "\n".join(v["written"]))
        return 0
    with store.read() as session:
        if args.action == "show":
            shown = template_json(templates_admin.find(session, args.name))
            emit(shown, args.json, lambda v: v["content"])
            return 0
        items = [template_json(t) for t in templates_admin.list_all(session)]
    emit(items, args.json, lambda v: "\n".join(t["name"] for t in v))
    return 0


# --- parser ----------------------------------------------------------------------------------


def _common(parser: argparse.ArgumentParser, *, json_flag: bool = True) -> None:
    parser.add_argument(
        "--db",
        metavar="URL",
        help=f"store URL (default: ${config.DB_ENV} or SQLite in the user data folder)",
    )
    if json_flag:
        parser.add_argument("--json", action="store_true", help="print JSON")


def build_parser() -> Parser:
    parser = Parser(prog=PROG, description="Incident Console: alerts in, incidents out.")
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    serve = commands.add_parser("serve", help="run the alert listener headless")
    serve.add_argument("--host", help="address to bind (default 127.0.0.1)")
    serve.add_argument(
        "--port", type=config.port_number, help=f"port (default {config.DEFAULT_PORT}; 0 = any)"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="listener processes sharing the address, for alert storms (Linux; default 1)",
    )
    # How the supervisor of `--workers N` starts each worker (not for people).
    serve.add_argument("--worker-index", type=int, help=argparse.SUPPRESS)
    serve.add_argument("--worker-dir", help=argparse.SUPPRESS)
    serve.add_argument("--worker-of", type=int, default=0, help=argparse.SUPPRESS)
    _common(serve, json_flag=False)
    serve.set_defaults(handler=cmd_serve)

    integ = commands.add_parser("integrations", help="alert endpoints and their tokens")
    integ_actions = integ.add_subparsers(dest="action", required=True, parser_class=Parser)
    p = integ_actions.add_parser("add", help="add an integration (prints its token once)")
    p.add_argument("--name", required=True)
    p.add_argument("--type", choices=("http", "prometheus"), default="http")
    _common(p)
    _common(integ_actions.add_parser("list", help="list integrations"))
    for action in ("show", "activate", "deactivate", "regenerate-token", "delete"):
        p = integ_actions.add_parser(action, help=f"{action.replace('-', ' ')} an integration")
        p.add_argument("name")
        _common(p)
    p = integ_actions.add_parser("rename", help="rename an integration")
    p.add_argument("name")
    p.add_argument("new_name")
    _common(p)
    p = integ_actions.add_parser("set-mapping", help="read fields from custom payload paths")
    p.add_argument("name")
    p.add_argument(
        "--field",
        action="append",
        required=True,
        metavar="FIELD=PATH",
        help="e.g. title=alert/name (repeatable; an empty path removes the field)",
    )
    _common(p)
    integ.set_defaults(handler=cmd_integrations)

    alerts = commands.add_parser("alerts", help="list alerts and change their status")
    alert_actions = alerts.add_subparsers(dest="action", required=True, parser_class=Parser)
    p = alert_actions.add_parser("list", help="list alerts, newest first")
    p.add_argument("--status", choices=tuple(ALERT_FILTERS))
    p.add_argument("--limit", type=count_argument, default=0, help="at most this many (0: all)")
    _common(p)
    p = alert_actions.add_parser("show", help="one alert with its activity")
    p.add_argument("iid", type=int)
    _common(p)
    p = alert_actions.add_parser("set-status", help="set an alert's status")
    p.add_argument("iid", type=int)
    p.add_argument("status", choices=[s.value for s in AlertStatus])
    _common(p)
    alerts.set_defaults(handler=cmd_alerts)

    incidents = commands.add_parser(
        "incidents", help="list, show, close, reopen and comment on incidents"
    )
    inc_actions = incidents.add_subparsers(dest="action", required=True, parser_class=Parser)
    p = inc_actions.add_parser("list", help="list incidents, newest first")
    p.add_argument("--status", choices=("open", "closed"))
    _common(p)
    for action in ("show", "close", "reopen"):
        p = inc_actions.add_parser(action, help=f"{action} an incident")
        p.add_argument("iid", type=int)
        _common(p)
    p = inc_actions.add_parser("note", help="comment on an incident (runs its quick actions)")
    p.add_argument("iid", type=int)
    p.add_argument(
        "body", help="Markdown ('-' reads it from stdin); lines like /close are quick actions"
    )
    _common(p)
    incidents.set_defaults(handler=cmd_incidents)

    settings = commands.add_parser("settings", help="show and change settings")
    set_actions = settings.add_subparsers(dest="action", required=True, parser_class=Parser)
    p = set_actions.add_parser("set", help="change a setting")
    p.add_argument("key")
    p.add_argument("value")
    _common(p)
    _common(set_actions.add_parser("show", help="show every setting"))
    settings.set_defaults(handler=cmd_settings)

    templates = commands.add_parser("templates", help="issue templates")
    tpl_actions = templates.add_subparsers(dest="action", required=True, parser_class=Parser)
    p = tpl_actions.add_parser("add", help="add a template from a Markdown file")
    p.add_argument("name")
    p.add_argument("--file", required=True)
    p.add_argument("--replace", action="store_true", help="replace a template of that name")
    _common(p)
    _common(tpl_actions.add_parser("list", help="list templates"))
    for action in ("show", "delete"):
        p = tpl_actions.add_parser(action, help=f"{action} a template")
        p.add_argument("name")
        _common(p)
    for action in ("rename", "duplicate"):
        p = tpl_actions.add_parser(action, help=f"{action} a template")
        p.add_argument("name")
        p.add_argument("new_name")
        _common(p)
    p = tpl_actions.add_parser("import", help="add every NAME.md file of a folder")
    p.add_argument("dir", help="e.g. .gitlab/issue_templates")
    p.add_argument("--replace", action="store_true", help="replace templates of the same name")
    _common(p)
    p = tpl_actions.add_parser("export", help="write every template to DIR/NAME.md")
    p.add_argument("dir")
    _common(p)
    templates.set_defaults(handler=cmd_templates)

    cli_metrics.register(commands, _common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns the exit status."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        if not getattr(args, "needs_store", True):
            return int(args.handler(args, None))
        store = open_store(config.resolve_db_url(args.db))
        try:
            return int(args.handler(args, store))
        finally:
            store.dispose()
    except (AdminError, CliError, StoreError, config.SettingError) as exc:
        print(f"{PROG}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
