"""What every view is given: the store to read, the runner to write, live change signals,
and the listener to report on. Views take this one object instead of a dozen arguments."""

from __future__ import annotations

from dataclasses import dataclass

from console.listener import Listener
from console.store import Store
from console.views.actions import ActionRunner
from console.views.live_updates import LiveUpdates


@dataclass(frozen=True, slots=True)
class ViewContext:
    """Shared services of the window; `user` is who system notes name for manual changes."""

    store: Store
    actions: ActionRunner
    updates: LiveUpdates
    listener: Listener
    user: str
