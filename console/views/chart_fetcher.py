"""Chart data off the GUI thread: one worker thread runs an asyncio loop with the httpx client.

`ChartFetcher.submit(embed, callback)` returns at once; the callback runs later on the GUI
thread with a `QueryResult` or a `MetricsError`. `cancel(ticket)` cancels the request (the
asyncio task is cancelled, nothing is cached) and guarantees the callback never runs, so a
closed chart is never called back. The data sources are read through a loader each time, so
changed settings apply to the next fetch.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import itertools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import shiboken6
from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from console.charts.embeds import Embed
from console.charts.prometheus import MetricsError, QueryResult
from console.charts.query import DashboardLookup, MetricsClient, Sources
from console.services.loop_tasks import cancel_other_tasks
from console.store import Store

Outcome = QueryResult | MetricsError
Callback = Callable[[Outcome], None]
SOURCES_FRESH_S = 2.0


def store_sources(store: Store) -> Callable[[], Sources]:
    """A loader reading the data-source settings from `store`."""
    from console.admin.settings import load_settings

    def load() -> Sources:
        with store.read() as session:
            return Sources.from_settings(load_settings(session))

    return load


def store_dashboards(store: Store) -> DashboardLookup:
    """Panel queries of the dashboards kept in `store`."""
    from console.admin.metrics import panel_query

    def lookup(name: str, group: str, title: str) -> str | None:
        with store.read() as session:
            return panel_query(session, name, group, title)

    return lookup


class ChartFetcher(QObject):
    """Fetches chart data on a worker thread; results come back on the GUI thread."""

    _done = Signal(int, object)

    def __init__(
        self,
        sources: Callable[[], Sources] | None = None,
        dashboards: DashboardLookup | None = None,
    ) -> None:
        super().__init__()
        self.sources = sources or Sources
        self.dashboards = dashboards
        # "Add alert" on a chart: opens the rule form for the embed (set by the window).
        self.add_alert: Callable[[Embed, QWidget], object] | None = None
        self._loaded: tuple[float, Sources] | None = None
        self._callbacks: dict[int, Callback] = {}
        self._futures: dict[int, Future[QueryResult]] = {}
        self._tickets = itertools.count(1)
        self._loop = asyncio.new_event_loop()
        self._client: MetricsClient | None = None
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._done.connect(self._deliver)

    def set_sources(
        self, sources: Callable[[], Sources], dashboards: DashboardLookup | None = None
    ) -> None:
        """Read data sources (and dashboards) through these from now on."""
        self.sources = sources
        self.dashboards = dashboards
        self._loaded = None

    def _current_sources(self) -> Sources:
        now = time.monotonic()
        if self._loaded is None or now - self._loaded[0] > SOURCES_FRESH_S:
            try:
                self._loaded = (now, self.sources())
            except Exception:  # an unreadable store: contact nothing
                self._loaded = (now, Sources())
        return self._loaded[1]

    def submit(self, embed: Embed, callback: Callback) -> int:
        """Start fetching `embed`; `callback(outcome)` runs on this object's thread later."""
        ticket = next(self._tickets)
        self._callbacks[ticket] = callback
        sources = self._current_sources()
        future = asyncio.run_coroutine_threadsafe(self._fetch(embed, sources), self._loop)
        self._futures[ticket] = future
        future.add_done_callback(functools.partial(self._finished, ticket))
        return ticket

    def cancel(self, ticket: int) -> None:
        """Forget `ticket`: its callback will not run and its request is cancelled."""
        self._callbacks.pop(ticket, None)
        future = self._futures.pop(ticket, None)
        if future is not None:
            future.cancel()

    async def _fetch(self, embed: Embed, sources: Sources) -> QueryResult:
        if self._client is None:
            self._client = MetricsClient(sources)
        self._client.sources = sources
        self._client.dashboards = self.dashboards
        return await self._client.fetch(embed)

    def _finished(self, ticket: int, future: Future[QueryResult]) -> None:
        # Runs on the worker thread: hand over to the GUI thread through a queued signal.
        if future.cancelled():
            return
        error = future.exception()
        outcome: Any
        if error is None:
            outcome = future.result()
        elif isinstance(error, MetricsError):
            outcome = error
        else:
            outcome = MetricsError(f"could not load: {error}")
        with contextlib.suppress(RuntimeError):  # the fetcher was deleted meanwhile
            self._done.emit(ticket, outcome)

    def _deliver(self, ticket: int, outcome: Outcome) -> None:
        self._futures.pop(ticket, None)
        callback = self._callbacks.pop(ticket, None)
        if callback is None:
            return
        owner = getattr(callback, "__self__", None)
        if isinstance(owner, QObject) and not shiboken6.isValid(owner):
            # Its chart was deleted meanwhile, with the view around it (a child gets no close
            # event to cancel on): drawing into it would touch freed widgets.
            return
        callback(outcome)

    def close(self) -> None:
        """Cancel everything, close the connections and stop the worker thread."""
        for ticket in list(self._futures):
            self.cancel(ticket)
        if self._thread.is_alive():
            # Cancelled requests end only when the loop runs them once more: let it, so no
            # task is left pending when the loop stops.
            ending = asyncio.run_coroutine_threadsafe(cancel_other_tasks(), self._loop)
            with contextlib.suppress(Exception):
                ending.result(5)
            if self._client is not None:
                closing = asyncio.run_coroutine_threadsafe(self._client.aclose(), self._loop)
                with contextlib.suppress(Exception):  # closing is best effort
                    closing.result(5)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(5)
        if not self._loop.is_running() and not self._loop.is_closed():
            self._loop.close()


_shared: ChartFetcher | None = None


def shared_fetcher() -> ChartFetcher:
    """The application's fetcher (made on first use; it reads no data source until told)."""
    global _shared  # noqa: PLW0603  # one worker thread per process
    if _shared is None:
        _shared = ChartFetcher()
    return _shared


def close_shared_fetcher() -> None:
    """Cancel the application fetcher's requests and end its thread (when the window
    closes); a later `shared_fetcher()` makes a new one."""
    global _shared  # noqa: PLW0603
    if _shared is not None:
        _shared.close()
        _shared = None
