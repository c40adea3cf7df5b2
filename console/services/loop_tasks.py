"""Ending an asyncio loop that runs on a thread of its own, without abandoning its tasks.

Stopping such a loop while a task still waits (a request in flight, a slow answer) leaves
the task pending for good: Python then reports "Task was destroyed but it is pending" when
the task is collected, and whatever the task holds is never released in order. Owners of a
loop thread run `cancel_other_tasks` on it before they stop it. Owners of one background
task (a watcher, a periodic job) end it with `cancel_and_wait`.
"""

from __future__ import annotations

import asyncio
import contextlib


async def cancel_other_tasks(timeout: float = 2.0) -> None:
    """Cancel every task of the running loop but this one and wait for them to end
    (at most `timeout` seconds: a task that swallows its cancellation is left behind)."""
    current = asyncio.current_task()
    others = [task for task in asyncio.all_tasks() if task is not current and not task.done()]
    for task in others:
        task.cancel()
    if others:
        await asyncio.wait(others, timeout=timeout)


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Cancel `task` (if any) and wait until it has ended."""
    if task is None:
        return
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
