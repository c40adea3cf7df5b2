"""How notifications are delivered: the retry policy, the record of a failed delivery, and
running a blocking delivery (SMTP) on a daemon thread without holding up the loop or exit.

Shared by the channels of `console.services.notify`; no channel specifics here.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How often and how patiently a delivery is tried."""

    attempts: int = 5
    first_delay: float = 2.0
    max_delay: float = 300.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        """Seconds before try `attempt + 2`: the server's `Retry-After`, else exponential
        backoff with jitter (so that many consoles do not retry in step)."""
        if retry_after is not None:
            return min(retry_after, self.max_delay)
        backoff: float = min(self.first_delay * 2.0**attempt, self.max_delay)
        return backoff * random.uniform(0.8, 1.2)


@dataclass(frozen=True, slots=True)
class NotificationError:
    """Notifications that were not delivered, and why."""

    at: datetime
    channel: str  # slack, email, or settings
    message: str
    count: int

    def as_json(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat().replace("+00:00", "Z"),
            "channel": self.channel,
            "message": self.message,
            "count": self.count,
        }


def in_daemon_thread(fn: Callable[[], T]) -> asyncio.Future[T]:
    """Run blocking `fn` on a daemon thread: a hung SMTP server never holds up exit."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[T] = loop.create_future()

    def settle(result: T | None, error: BaseException | None) -> None:
        if future.done():
            return
        if error is not None:
            future.set_exception(error)
        else:
            future.set_result(result)  # type: ignore[arg-type]

    def work() -> None:
        outcome: tuple[T | None, BaseException | None]
        try:
            outcome = (fn(), None)
        except BaseException as exc:  # handed to the awaiting task
            outcome = (None, exc)
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody waits
            loop.call_soon_threadsafe(settle, *outcome)

    threading.Thread(target=work, name="smtp", daemon=True).start()
    return future
