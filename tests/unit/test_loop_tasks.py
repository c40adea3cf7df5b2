"""Ending a loop's tasks before the loop stops."""

from __future__ import annotations

import asyncio
import time

from console.services.loop_tasks import cancel_and_wait, cancel_other_tasks


def test_waiting_tasks_are_cancelled_and_ended():
    async def scenario():
        sleeper = asyncio.ensure_future(asyncio.sleep(60))
        await asyncio.sleep(0)
        await cancel_other_tasks()
        return sleeper

    sleeper = asyncio.run(scenario())
    assert sleeper.cancelled()


def test_a_task_that_ignores_cancellation_is_left_after_the_timeout():
    async def stubborn():
        for _ in range(3):
            try:
                await asyncio.sleep(0.5)
            except asyncio.CancelledError:
                continue

    async def scenario():
        task = asyncio.ensure_future(stubborn())
        await asyncio.sleep(0)
        began = time.monotonic()
        await cancel_other_tasks(timeout=0.1)
        waited = time.monotonic() - began
        done_then = task.done()
        await task
        return waited, done_then

    waited, done_then = asyncio.run(scenario())
    assert waited < 0.4
    assert not done_then


def test_nothing_to_cancel_returns_at_once():
    asyncio.run(cancel_other_tasks())


def test_cancel_and_wait_ends_the_task_and_accepts_none():
    ended = []

    async def forever():
        try:
            await asyncio.sleep(3600)
        finally:
            ended.append(True)

    async def scenario():
        task = asyncio.create_task(forever())
        await asyncio.sleep(0)
        await cancel_and_wait(task)
        await cancel_and_wait(None)
        return task

    task = asyncio.run(scenario())
    assert task.cancelled() and ended == [True]
