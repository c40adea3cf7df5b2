"""GUI fixtures: a real store, ingestion running on its own thread, and the view context."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Iterator

import pytest

from console.runtime import INGEST_SWITCH_INTERVAL, BackgroundRuntime, Runtime
from console.store import Store
from console.views.actions import ActionRunner
from console.views.alert_feed import AlertFeedWidget
from console.views.context import ViewContext
from console.views.live_updates import LiveUpdates
from tests.conftest import Endpoint, add_integration


@pytest.fixture
def background(qapp, store: Store) -> Iterator[BackgroundRuntime]:
    """Ingestion (writer and listener) on its own thread, as the desktop app runs it."""
    previous = sys.getswitchinterval()
    sys.setswitchinterval(INGEST_SWITCH_INTERVAL)
    updates = LiveUpdates()
    runtime = Runtime(store, host="127.0.0.1", port=0, on_commit=updates.push)
    running = BackgroundRuntime(runtime)
    running.updates = updates  # type: ignore[attr-defined]
    running.start()
    yield running
    running.stop()
    sys.setswitchinterval(previous)


@pytest.fixture
def ctx(background: BackgroundRuntime, store: Store) -> ViewContext:
    runtime = background.runtime
    return ViewContext(
        store,
        ActionRunner(runtime.writer, background.updates),  # type: ignore[attr-defined]
        background.updates,  # type: ignore[attr-defined]
        runtime.listener,
        "tester",
    )


@pytest.fixture
def gui_endpoint(ctx: ViewContext, background: BackgroundRuntime) -> Endpoint:
    """An integration on the running listener, ready to post to (with httpx)."""
    point = add_integration(ctx.store, ctx.listener.url)
    asyncio.run_coroutine_threadsafe(
        background.runtime.listener.registry.refresh(), background.loop
    ).result(10)
    return point


@pytest.fixture
def feed(qtbot, ctx: ViewContext) -> AlertFeedWidget:
    """The alert feed, shown and with its first order read."""
    widget = AlertFeedWidget(ctx)
    qtbot.addWidget(widget)
    widget.resize(1000, 600)
    widget.show()
    qtbot.waitExposed(widget)
    qtbot.waitUntil(lambda: widget.model.is_complete, timeout=5000)
    return widget
