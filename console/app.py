"""Composition root of the desktop console: store, ingestion on its own thread, the window.

Only this module knows every layer; nothing imports it. Shutdown is ordered: stop listening,
commit everything acknowledged, then close the store.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from console import config, deeplinks
from console.admin.settings import load_settings
from console.cli import actor
from console.runtime import INGEST_SWITCH_INTERVAL, BackgroundRuntime, Runtime
from console.store import StoreError, normalise_url, open_store


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="incident-console", description="Open the console.")
    parser.add_argument("--db", metavar="URL", help="store URL")
    parser.add_argument("--host", help="listener address (default from settings)")
    parser.add_argument(
        "--port", type=config.port_number, help="listener port (default from settings)"
    )
    parser.add_argument("--wall", action="store_true", help="open the wall display")
    parser.add_argument("--screen", type=int, default=0, help="screen for the wall display")
    parser.add_argument("link", nargs="?", default="", help="an incident-console:// link to open")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    """Run the desktop console until its window closes or a signal arrives."""
    args = parse_args(argv)
    db_url = normalise_url(config.resolve_db_url(args.db))
    if args.link and deeplinks.parse(args.link) is None:
        print(
            f"incident-console: error: not a link the console opens: {args.link}", file=sys.stderr
        )
        return 2
    from PySide6.QtWidgets import QApplication

    from console.views.single_instance import InstanceServer, forward, instance_name

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication([sys.argv[0]])
    name = instance_name(db_url)
    if forward(name, args.link):
        print("Handed to the console already running on this store.", flush=True)
        return 0
    try:
        store = open_store(db_url)
    except StoreError as exc:
        print(f"incident-console: error: {exc}", file=sys.stderr)
        return 1
    with store.read() as session:
        settings = load_settings(session)
    host = args.host or settings["listen_host"]
    port = args.port if args.port is not None else settings["listen_port"]

    from PySide6.QtCore import QTimer

    from console.views.actions import ActionRunner
    from console.views.chart_fetcher import close_shared_fetcher
    from console.views.collector import ScheduledCollector
    from console.views.context import ViewContext
    from console.views.live_updates import LiveUpdates
    from console.views.main_window import MainWindow
    from console.views.theme import ThemeController

    sys.setswitchinterval(INGEST_SWITCH_INTERVAL)
    app.setApplicationName("Incident Console")
    # Handlers before anything starts: a signal during start-up still ends the app cleanly.
    stop_requested: list[bool] = []

    def request_stop(*_args: object) -> None:
        stop_requested.append(True)
        app.quit()

    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, request_stop)
    updates = LiveUpdates()
    runtime = Runtime(store, host=host, port=port, on_commit=updates.push)
    background = BackgroundRuntime(runtime)
    try:
        background.start()
    except OSError as exc:
        print(f"incident-console: error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"Incident Console listening on {runtime.listener.url}", flush=True)
    ctx = ViewContext(
        store,
        ActionRunner(runtime.writer, updates),
        updates,
        runtime.listener,
        actor(),
        listener_control=background,
    )
    theme = ThemeController(app, store)
    window = MainWindow(ctx)
    theme.theme_changed.connect(window.incident_view.set_dark)
    window.show()
    # Everything made so far lives as long as the app, and the collector's passes must not
    # stall a paint (they did, ~70 ms on a big store): see console.views.collector.
    collector = ScheduledCollector(app)
    if args.wall:
        window.open_wall(args.screen)
    instance = InstanceServer(name)
    instance.received.connect(lambda link: print(f"Opening {link or 'the window'}", flush=True))
    instance.received.connect(window.open_link)
    if args.link:
        window.open_link(args.link)
    # Qt's loop does not return to Python on its own; a tick lets signal handlers run.
    tick = QTimer()
    tick.start(200)
    tick.timeout.connect(lambda: None)
    try:
        if not stop_requested:  # quit() before exec() would be lost
            app.exec()
    finally:
        collector.stop()
        instance.close()
        window.close()
        close_shared_fetcher()
        background.stop()
        store.dispose()
    return 0
