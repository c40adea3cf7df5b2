"""Composition root of the desktop console: store, ingestion on its own thread, the window.

Only this module knows every layer; nothing imports it. Shutdown is ordered: stop listening,
commit everything acknowledged, then close the store.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence

from console import config
from console.admin.settings import load_settings
from console.runtime import INGEST_SWITCH_INTERVAL, BackgroundRuntime, Runtime
from console.store import StoreError, open_store


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="incident-console", description="Open the console.")
    parser.add_argument("--db", metavar="URL", help="store URL")
    parser.add_argument("--host", help="listener address (default from settings)")
    parser.add_argument("--port", type=int, help="listener port (default from settings)")
    parser.add_argument("--wall", action="store_true", help="open the wall display")
    parser.add_argument("--screen", type=int, default=0, help="screen for the wall display")
    return parser.parse_args(list(argv))


def main(argv: Sequence[str]) -> int:
    """Run the desktop console until its window closes or a signal arrives."""
    args = parse_args(argv)
    try:
        store = open_store(config.resolve_db_url(args.db))
    except StoreError as exc:
        print(f"incident-console: error: {exc}", file=sys.stderr)
        return 1
    with store.read() as session:
        settings = load_settings(session)
    host = args.host or settings["listen_host"]
    port = args.port if args.port is not None else settings["listen_port"]

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from console.views.live_updates import LiveUpdates
    from console.views.main_window import MainWindow

    sys.setswitchinterval(INGEST_SWITCH_INTERVAL)
    app = QApplication.instance() or QApplication([sys.argv[0]])
    updates = LiveUpdates()
    background = BackgroundRuntime(Runtime(store, host=host, port=port, on_commit=updates.push))
    try:
        background.start()
    except OSError as exc:
        print(f"incident-console: error: cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        return 1
    print(f"Incident Console listening on {background.runtime.listener.url}", flush=True)
    window = MainWindow(store, background.runtime.listener.url, updates)
    window.show()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: app.quit())
    # Qt's loop does not return to Python on its own; a tick lets signal handlers run.
    tick = QTimer()
    tick.start(200)
    tick.timeout.connect(lambda: None)
    try:
        app.exec()
    finally:
        background.stop()
        store.dispose()
    return 0
