"""Shared fixtures: a fresh store, a listener running on its own loop, a `serve` process."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# Qt must know there is no display before it loads (GUI tests run offscreen).
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import httpx
import pytest
from hypothesis import HealthCheck, settings

from console.admin import integrations as integrations_admin
from console.admin import settings as settings_admin
from console.runtime import BackgroundRuntime, Runtime
from console.store import Store, open_store

# Real Alertmanager, generic and PagerDuty bodies and Slack's signing example, kept with the
# tests so a checkout anywhere runs them.
FORMATS = Path(__file__).resolve().parent / "formats"


@pytest.fixture(autouse=True)
def collect_qt_cycles_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """Free a Qt test's cyclic garbage on the GUI thread when it ends (wherever it lives:
    tests/gui, and the integration tests that draw charts).

    Qt objects without a parent (the fixtures' LiveUpdates, a view under test, a chart and
    its fetcher) often sit in reference cycles; left to the cyclic collector they are freed
    on whichever thread next triggers a collection (the ingest loop, or a later test's
    client threads), and a QObject deleted off its own thread with a running timer crashes
    the next event loop turn, tests later.
    """
    yield
    if {"qapp", "qtbot"} & set(request.fixturenames):
        gc.collect()


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'store.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url)
    yield opened
    opened.dispose()


def set_settings(store: Store, **values: str) -> None:
    with store.write() as session:
        for key, value in values.items():
            settings_admin.set_setting(session, key, value)


@dataclass
class Endpoint:
    """An integration on a running listener, ready to post to."""

    base: str
    path: str
    token: str
    name: str

    @property
    def url(self) -> str:
        return self.base + self.path

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


def add_integration(
    store: Store, base: str, name: str = "monitoring", kind: str = "http"
) -> Endpoint:
    with store.write() as session:
        created = integrations_admin.create(session, name, kind)
        return Endpoint(base, created.integration.url_path, created.token, name)


class RunningListener:
    """A Runtime served on an event loop in a background thread, as the desktop app runs it."""

    def __init__(self, store: Store, max_pending: int | None = None) -> None:
        self.store = store
        self.runtime = Runtime(store, host="127.0.0.1", port=0, max_pending=max_pending)
        self.background = BackgroundRuntime(self.runtime)
        self.background.start()
        self.base = self.runtime.listener.url

    def refresh_integrations(self) -> None:
        asyncio.run_coroutine_threadsafe(
            self.runtime.listener.registry.refresh(), self.background.loop
        ).result(10)

    def stop(self) -> None:
        self.background.stop()


@contextlib.contextmanager
def listener_with_endpoint(folder: Path, name: str) -> Iterator[tuple[RunningListener, Endpoint]]:
    """A running listener on a fresh SQLite store in `folder`, with one integration (for
    module-scoped fixtures that send many requests)."""
    store = open_store(f"sqlite:///{folder / 'store.db'}")
    listener = RunningListener(store)
    try:
        endpoint = add_integration(store, listener.base, name=name)
        listener.refresh_integrations()
        yield listener, endpoint
    finally:
        listener.stop()
        store.dispose()


# Property tests that send real requests: many examples, no per-example deadline (the
# machine is shared), and large or slow-to-draw inputs are the point.
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)


@pytest.fixture
def listener(store: Store) -> Iterator[RunningListener]:
    running = RunningListener(store)
    yield running
    running.stop()


@pytest.fixture
def endpoint(store: Store, listener: RunningListener) -> Endpoint:
    point = add_integration(store, listener.base)
    listener.refresh_integrations()
    return point


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as session:
        yield session


LISTENING = re.compile(r"listening on (http://\S+)")


class ConsoleProcess:
    """The console as a real process, started and listening: the window by default (on the
    offscreen platform), or a command such as `serve`; `base` is the listener's URL."""

    def __init__(self, db_url: str, *command: str, extra: tuple[str, ...] = ()) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "console", *command, "--port", "0", "--db", db_url, *extra],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        assert self.proc.stdout is not None
        self.stdout = self.proc.stdout
        line = self.stdout.readline()
        match = LISTENING.search(line)
        if match is None:
            self.proc.kill()
            raise AssertionError(f"console did not start: {line!r} {self.proc.stderr.read()}")
        self.base = match.group(1)

    def stop(self, timeout: float = 10) -> int:
        if self.proc.poll() is None:
            self.proc.terminate()
        return self.proc.wait(timeout)

    def kill(self) -> None:
        """End it for sure (for test clean-up)."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()


def children(pid: int) -> list[int]:
    """The processes `pid` started (its workers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


class ServeProcess(ConsoleProcess):
    """`incident-console serve` as a real process."""

    def __init__(self, db_url: str, *extra: str) -> None:
        super().__init__(db_url, "serve", extra=extra)


@pytest.fixture
def serve(db_url: str, store: Store) -> Iterator[ServeProcess]:
    process = ServeProcess(db_url)
    yield process
    process.kill()


def run_cli(*args: str, db_url: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run the installed command line in a fresh process."""
    argv = [sys.executable, "-m", "console", *args]
    if db_url is not None:
        argv += ["--db", db_url]
    return subprocess.run(argv, check=False, capture_output=True, text=True, timeout=60)
