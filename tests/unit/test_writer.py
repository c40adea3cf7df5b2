"""The group-commit writer: batching, the bounded queue, calls from other threads, closing."""

from __future__ import annotations

import asyncio
import threading

import pytest

from console.engine.pipeline import Source, Submission
from console.engine.writer import GroupCommitWriter, Overloaded, WriterStopped
from console.models import Alert
from tests.unit.test_pipeline import generic


def sub(n: int) -> Submission:
    return generic(title=f"alert {n}", fingerprint=f"fp-{n}")


def test_submissions_of_one_loop_turn_share_one_commit(store):
    batches = []
    writer = GroupCommitWriter(store, on_commit=batches.append)

    async def scenario():
        writer.start()
        return await asyncio.gather(*(writer.submit(sub(n)) for n in range(50)))

    results = asyncio.run(scenario())
    assert [r[0].alert_iid for r in results] == list(range(1, 51))
    assert [b.alerts for b in batches] == [50]
    assert batches[0].alert_iids == tuple(range(1, 51))


def test_a_full_queue_refuses_with_overloaded(store):
    writer = GroupCommitWriter(store, max_pending=1)

    async def scenario():
        writer.start()
        return await asyncio.gather(
            writer.submit(sub(1)), writer.submit(sub(2)), return_exceptions=True
        )

    first, second = asyncio.run(scenario())
    assert first[0].alert_iid == 1
    assert isinstance(second, Overloaded)
    assert writer.pending == 0


def test_batches_are_capped_and_drained_in_order(store):
    batches = []
    writer = GroupCommitWriter(store, max_batch=10, on_commit=batches.append)

    async def scenario():
        writer.start()
        return await asyncio.gather(*(writer.submit(sub(n)) for n in range(25)))

    asyncio.run(scenario())
    assert [b.alerts for b in batches] == [10, 10, 5]


def test_calls_from_another_thread_run_on_the_writer(store):
    writer = GroupCommitWriter(store)
    seen: list[object] = []

    async def scenario():
        writer.start()
        await writer.submit(sub(1))

        def from_gui_thread():
            future = writer.session_future(lambda s: s.get(Alert, 1).title)
            seen.append(future.result(5))
            failing = writer.session_future(lambda s: 1 / 0)
            seen.append(type(failing.exception(5)))

        thread = threading.Thread(target=from_gui_thread)
        thread.start()
        while thread.is_alive():
            await asyncio.sleep(0.01)

    asyncio.run(scenario())
    assert seen == ["alert 1", ZeroDivisionError]


def test_closed_writer_refuses_and_commits_what_it_accepted(store):
    writer = GroupCommitWriter(store)

    async def scenario():
        writer.start()
        accepted = asyncio.ensure_future(writer.submit(sub(1)))
        await asyncio.sleep(0)
        await writer.close()
        with pytest.raises(WriterStopped):
            await writer.submit(sub(2))
        return await accepted

    [result] = asyncio.run(scenario())
    assert result.alert_iid == 1
    assert isinstance(writer.call_future(lambda c: None).exception(1), WriterStopped)


def test_one_bad_submission_does_not_fail_its_batch(store):
    writer = GroupCommitWriter(store)
    bad = Submission(Source(987654, "gone"), sub(2).alerts)  # no such integration: FK error

    async def scenario():
        writer.start()
        return await asyncio.gather(
            writer.submit(sub(1)), writer.submit(bad), writer.submit(sub(3)), return_exceptions=True
        )

    first, second, third = asyncio.run(scenario())
    assert first[0].outcome == "created" and third[0].outcome == "created"
    assert isinstance(second, Exception)
