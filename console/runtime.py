"""The ingestion runtime: the one writer and the listener, wired together on one event loop.

`serve` runs it on the main loop; the desktop app runs it on a worker thread's loop, so the
window never delays an alert.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

from console.engine.writer import BatchStats, GroupCommitWriter
from console.listener import Listener
from console.metrics import ListenerMetrics
from console.store import Store


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
    ) -> None:
        self.store = store
        self._observer = on_commit
        self.writer = GroupCommitWriter(store, on_commit=self._committed)
        if max_pending is not None:
            self.writer.max_pending = max_pending
        self.metrics = ListenerMetrics(lambda: float(self.writer.pending))
        self.listener = Listener(store, self.writer, host=host, port=port, metrics=self.metrics)

    def _committed(self, stats: BatchStats) -> None:
        self.metrics.batch_size.observe(stats.alerts)
        self.metrics.commit_seconds.observe(stats.seconds)
        if self._observer is not None:
            self._observer(stats)

    async def start(self) -> None:
        """Start the writer, then listen."""
        self.writer.start()
        try:
            await self.listener.start()
        except Exception:
            await self.writer.close()
            raise

    async def stop(self) -> None:
        """Stop listening, then let the writer commit everything it accepted, and stop it."""
        await self.listener.stop()
        await self.writer.close()


# While the GUI thread runs Python, the ingest thread waits for the GIL up to one switch
# interval at every hand-off; 1 ms instead of the default 5 ms keeps acknowledgements fast.
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
