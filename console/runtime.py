"""The ingestion runtime: the one writer and the listener, wired together on one event loop.

`serve` runs it on the main loop; the desktop app runs it on a worker thread's loop, so the
window never delays an alert. The runtime also moves the listener when `listen_host` or
`listen_port` change: `rebind` binds the new address before letting go of the old one, and
a watcher reads those two settings every second, so a change made on the command line or in
another window reaches a running `serve` or window within seconds.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import errno
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson
from aiohttp import web
from sqlalchemy import select

from console import config
from console.engine.shared_writes import SharedWrites, WalCheckpointer
from console.engine.writer import BatchStats, GroupCommitWriter
from console.listener import Listener
from console.listener.metrics import ListenerMetrics
from console.listener.shared_metrics import SharedMetrics
from console.models import SettingRow
from console.services.alert_rules import RuleEvaluator
from console.services.loop_tasks import cancel_and_wait
from console.services.notify import NotificationDispatcher
from console.store import Store

log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0
LISTEN_KEYS = ("listen_host", "listen_port")
LISTEN_BACKLOG = 1024


@dataclass(frozen=True, slots=True)
class WorkerRole:
    """This runtime is worker `index` of a `serve` with several: it binds its address with
    SO_REUSEPORT beside the others, publishes metrics in `directory`, and (when `database`
    names a SQLite file) takes the workers' write lock for every batch."""

    index: int
    directory: Path
    database: Path | None


class RebindError(Exception):
    """The listener could not move; it still listens where it did."""


def _address(host: str, port: int) -> str:
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Runtime:
    """Writer plus listener; `start` and `stop` must run on the loop that serves requests."""

    def __init__(
        self,
        store: Store,
        *,
        host: str,
        port: int,
        on_commit: Callable[[BatchStats], None] | None = None,
        max_pending: int | None = None,
        watch_settings: bool = True,
        worker: WorkerRole | None = None,
    ) -> None:
        self.store = store
        self.worker = worker
        self._observer = on_commit
        self._watch = watch_settings
        self._watcher: asyncio.Task[None] | None = None
        self._rebinding: asyncio.Lock | None = None
        # The address asked for (port 0 stays 0 here, while the listener knows the real one).
        self.requested: tuple[str, int] = (host, port)
        self.listen_error: str | None = None
        # Told the new URL after every move (`serve` can print it); runs on the loop.
        self.moved: Callable[[str], None] | None = None
        shared = SharedWrites(worker.database) if worker is not None and worker.database else None
        # Worker 0 keeps the shared store's WAL small, outside the write lock.
        self.checkpointer: WalCheckpointer | None = None
        if shared is not None and worker is not None and worker.index == 0:
            self.checkpointer = WalCheckpointer(shared.database)
        self.writer = GroupCommitWriter(store, on_commit=self._committed, shared=shared)
        if max_pending is not None:
            self.writer.max_pending = max_pending
        self.metrics = ListenerMetrics(
            lambda: float(self.writer.pending),
            write_lock_seconds=lambda: shared.held_seconds if shared is not None else 0.0,
            write_lock_busy=lambda: float(shared.busy) if shared is not None else 0.0,
            wal_sync_seconds=lambda: shared.sync_seconds if shared is not None else 0.0,
        )
        self.listener = Listener(
            store,
            self.writer,
            host=host,
            port=port,
            metrics=self.metrics,
            reuse_port=worker is not None,
        )
        self.shared_metrics: SharedMetrics | None = None
        if worker is not None:
            self.shared_metrics = SharedMetrics(
                worker.directory, worker.index, self.metrics, self._worker_health
            )
            self.listener.metrics_text = self.shared_metrics.render
            self.listener.health_sections["workers"] = self.shared_metrics.workers_health
        # Slack and email, sent off the ingest path; its failures show in /healthz.
        self.notifier = NotificationDispatcher(store)
        self.listener.health_sections["notifications"] = self.notifier.health
        # Console-managed alert rules raise and resolve alerts through the same writer.
        self.rules = RuleEvaluator(store, self.writer.submit)

    def _worker_health(self) -> dict[str, Any]:
        """This worker as `/healthz` lists it among the others."""
        assert self.worker is not None
        return {
            "worker": self.worker.index,
            "pid": os.getpid(),
            "address": self.listener.url,
            "started_at": self.listener.started_at,
            "last_alert_at": self.listener.last_alert_at,
            "errors": self.listener.errors,
            "queue_depth": self.writer.pending,
            "writer_running": self.writer.running,
            "published_at": time.time(),
        }

    def _committed(self, stats: BatchStats) -> None:
        self.metrics.batch_size.observe(stats.alerts)
        self.metrics.commit_seconds.observe(stats.seconds)
        self.notifier.observe(stats)
        if self._observer is not None:
            self._observer(stats)

    async def start(self) -> None:
        """Start the writer, then listen, then watch the listener settings."""
        self.writer.start()
        try:
            await self.listener.start()
        except Exception:
            await self.writer.close()
            raise
        self.notifier.start()
        # Managed alert rules are evaluated by one process only, however many workers run.
        if self.worker is None or self.worker.index == 0:
            self.rules.start()
        if self.shared_metrics is not None:
            self.shared_metrics.start()
        if self.checkpointer is not None:
            self.checkpointer.start()
        self._rebinding = asyncio.Lock()
        if self._watch:
            seen = await asyncio.to_thread(self._read_listen_settings)
            self._watcher = asyncio.create_task(self._watch_settings(seen))

    async def stop(self) -> None:
        """Stop listening, then let the writer commit everything it accepted, and stop it."""
        await cancel_and_wait(self._watcher)
        self._watcher = None
        await self.rules.stop()
        await self.listener.stop()
        await self.writer.close()
        await self.notifier.stop()
        if self.shared_metrics is not None:
            await self.shared_metrics.stop()
        if self.checkpointer is not None:
            await asyncio.to_thread(self.checkpointer.stop)

    async def rebind(self, host: str, port: int) -> str:
        """Move the listener to `host:port` and return its new URL.

        The new address is bound before the old one is let go, so no alert finds the door
        closed; connections already open finish on the old socket. When the new address is
        refused, RebindError says why and the listener stays where it was. One exception to
        the order: the same port on another address of this machine (127.0.0.1 → 0.0.0.0)
        overlaps the old socket, so there the old one is closed first, and reopened if the
        new one fails.
        """
        if self._rebinding is None:
            raise RebindError("the listener is not running")
        async with self._rebinding:
            runner: web.AppRunner | None = getattr(self.listener, "_runner", None)
            if runner is None:
                raise RebindError("the listener is not running")
            if (host, port) == self.requested:
                return self.listener.url
            old_sites = runner.sites
            before = {tuple(a) for a in runner.addresses}
            try:
                await self._bind(runner, host, port)
            except OSError as exc:
                if exc.errno != errno.EADDRINUSE or port != self.listener.port:
                    raise self._refused(host, port, exc) from None
                await self._swap(runner, old_sites, host, port, exc)
            else:
                for old in old_sites:
                    await old.stop()
            new = [a for a in runner.addresses if tuple(a) not in before] or runner.addresses
            self.listener.host = host
            self.listener.port = int(new[0][1]) if new else port
            self.requested = (host, port)
            self.listen_error = None
            log.info("listener moved to %s", self.listener.url)
            if self.moved is not None:
                self.moved(self.listener.url)
            return self.listener.url

    async def _bind(self, runner: web.AppRunner, host: str, port: int) -> None:
        site = web.TCPSite(
            runner,
            host,
            port,
            backlog=LISTEN_BACKLOG,
            reuse_port=self.listener.reuse_port or None,
        )
        try:
            await site.start()
        except BaseException:
            await site.stop()  # unregister the site that never bound
            raise

    async def _swap(
        self,
        runner: web.AppRunner,
        old_sites: set[Any],
        host: str,
        port: int,
        first: OSError,
    ) -> None:
        for old in old_sites:
            await old.stop()
        try:
            await self._bind(runner, host, port)
        except OSError as exc:
            old_host, _ = self.requested
            await self._bind(runner, old_host, self.listener.port)
            raise self._refused(host, port, exc) from first

    def _refused(self, host: str, port: int, exc: OSError) -> RebindError:
        reason = exc.strerror or str(exc) or type(exc).__name__
        return RebindError(
            f"cannot listen on {_address(host, port)}: {reason}; "
            f"still listening on {self.listener.url}"
        )

    def _read_listen_settings(self) -> tuple[str, int]:
        """`listen_host` and `listen_port` as stored (two rows by key: cheap to poll)."""
        values: dict[str, Any] = {k: config.OPTIONS_BY_KEY[k].default for k in LISTEN_KEYS}
        with self.store.read() as session:
            rows = session.execute(
                select(SettingRow.key, SettingRow.value).where(SettingRow.key.in_(LISTEN_KEYS))
            )
            for key, text in rows:
                try:
                    values[key] = config.coerce_stored(key, orjson.loads(text))
                except orjson.JSONDecodeError:
                    continue
        return str(values["listen_host"]), int(values["listen_port"])

    async def _watch_settings(self, seen: tuple[str, int]) -> None:
        """Rebind when the stored address changes. Only a change counts: an address given
        on the command line (`serve --port`) stays until the settings move."""
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            try:
                wanted = await asyncio.to_thread(self._read_listen_settings)
            except Exception as exc:  # the store is away for a moment; try again later
                log.debug("cannot read listener settings: %s", exc)
                continue
            if wanted == seen:
                continue
            seen = wanted
            if wanted == self.requested:
                self.listen_error = None
                continue
            try:
                await self.rebind(*wanted)
            except RebindError as exc:
                self.listen_error = str(exc)
                log.warning("%s", exc)


# A thread waiting for the GIL waits up to one switch interval at every hand-off: the ingest
# thread while the GUI thread runs Python, and the writer's committer thread while the loop
# parses requests. 1 ms instead of the default 5 ms keeps acknowledgements fast.
INGEST_SWITCH_INTERVAL = 0.001


class BackgroundRuntime:
    """A Runtime on its own event loop in a worker thread (how the desktop app ingests).

    The GUI thread may block for seconds (a modal dialog, a long render) without delaying
    a single acknowledgement, because nothing on the ingest path runs on it.
    """

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="ingest", daemon=True)

    def start(self, timeout: float = 15.0) -> None:
        """Start the loop thread and the runtime on it; raises what starting raised."""
        self._thread.start()
        try:
            asyncio.run_coroutine_threadsafe(self.runtime.start(), self.loop).result(timeout)
        except BaseException:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            raise

    @property
    def requested(self) -> tuple[str, int]:
        """The address the listener was last asked to bind (port 0 stays 0)."""
        return self.runtime.requested

    def rebind(self, host: str, port: int) -> concurrent.futures.Future[str]:
        """Move the listener (see `Runtime.rebind`) from any thread; the future gives the
        new URL or the RebindError."""
        return asyncio.run_coroutine_threadsafe(self.runtime.rebind(host, port), self.loop)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop listening, commit what was accepted, and end the thread."""
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.runtime.stop(), self.loop).result(timeout)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout)
            if not self._thread.is_alive():
                self.loop.close()
