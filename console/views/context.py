"""What every view is given: the store to read, the runner to write, live change signals,
and the listener to report on. Views take this one object instead of a dozen arguments."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass
from typing import Protocol

from console.listener import Listener
from console.store import Store
from console.views.actions import ActionRunner
from console.views.live_updates import LiveUpdates


class ListenerControl(Protocol):
    """Moving the listener to another address (the desktop app's `BackgroundRuntime`)."""

    @property
    def requested(self) -> tuple[str, int]:
        """The address last asked for (port 0 stays 0)."""
        ...

    def rebind(self, host: str, port: int) -> Future[str]:
        """Move the listener; the future gives its new URL or the RebindError."""
        ...


@dataclass(frozen=True, slots=True)
class ViewContext:
    """Shared services of the window; `user` is who system notes name for manual changes.

    `listener_control`, when given, lets the settings form move the listener at once.
    """

    store: Store
    actions: ActionRunner
    updates: LiveUpdates
    listener: Listener
    user: str
    listener_control: ListenerControl | None = None
