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


def test_rows_are_prepared_when_queued_before_any_write(store):
    writer = GroupCommitWriter(store)
    queued = sub(1)

    async def scenario():
        writer.start()
        answer = asyncio.create_task(writer.submit(queued))
        await asyncio.sleep(0)  # the submission is queued; its batch is not flushed yet
        assert queued.prepared is not None and len(queued.prepared) == 1
        with store.read() as session:
            assert session.query(Alert).count() == 0
        return await answer

    [result] = asyncio.run(scenario())
    assert result.outcome == "created"


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


class SlowCommitWriter(GroupCommitWriter):
    """A writer whose COMMIT takes a while (a slow disk), or fails, on the committer thread."""

    def __init__(self, store, *, delay: float = 0.0, failures: int = 0, **kwargs) -> None:
        super().__init__(store, **kwargs)
        self.delay = delay
        self.failures = failures
        self.commit_threads: list[str] = []

    def _commit_transaction(self, transaction) -> None:  # type: ignore[override]
        self.commit_threads.append(threading.current_thread().name)
        if self.failures:
            self.failures -= 1
            raise OSError("disk I/O error")
        threading.Event().wait(self.delay)
        super()._commit_transaction(transaction)


def test_the_loop_goes_on_while_a_batch_commits_and_answers_come_after(store):
    writer = SlowCommitWriter(store, delay=0.3)
    ticks: list[float] = []

    async def scenario():
        writer.start()
        loop = asyncio.get_running_loop()
        submitted = asyncio.ensure_future(writer.submit(sub(1)))
        began = loop.time()
        while not submitted.done():
            ticks.append(loop.time() - began)
            await asyncio.sleep(0.01)
        answered = loop.time() - began
        with store.read() as session:
            assert session.get(Alert, 1) is not None  # committed before the answer
        await writer.close()
        return submitted.result(), answered

    result, answered = asyncio.run(scenario())
    assert result[0].alert_iid == 1
    assert answered >= 0.3
    # The loop kept running through the commit (it would have stalled in it on the loop).
    assert len([t for t in ticks if t < 0.3]) >= 10
    assert writer.commit_threads and all(n.startswith("committer") for n in writer.commit_threads)


def test_submissions_during_a_commit_form_the_next_batch(store):
    batches = []
    writer = SlowCommitWriter(store, delay=0.2, on_commit=batches.append)

    async def scenario():
        writer.start()
        first = asyncio.ensure_future(writer.submit(sub(1)))
        await asyncio.sleep(0.05)  # the first batch is committing now
        rest = [asyncio.ensure_future(writer.submit(sub(n))) for n in range(2, 12)]
        return await asyncio.gather(first, *rest)

    results = asyncio.run(scenario())
    assert [r[0].alert_iid for r in results] == list(range(1, 12))
    assert [b.alerts for b in batches] == [1, 10]


def test_a_failed_commit_retries_one_by_one_and_loses_nothing(store):
    writer = SlowCommitWriter(store, failures=1)

    async def scenario():
        writer.start()
        return await asyncio.gather(*(writer.submit(sub(n)) for n in range(5)))

    results = asyncio.run(scenario())
    assert sorted(r[0].alert_iid for r in results) == [1, 2, 3, 4, 5]
    with store.read() as session:
        assert session.query(Alert).count() == 5


def test_close_waits_for_the_commit_in_flight(store):
    writer = SlowCommitWriter(store, delay=0.2)

    async def scenario():
        writer.start()
        submitted = asyncio.ensure_future(writer.submit(sub(1)))
        await asyncio.sleep(0.05)
        await writer.close()
        return submitted

    submitted = asyncio.run(scenario())
    assert submitted.done() and submitted.result()[0].alert_iid == 1
    with store.read() as session:
        assert session.get(Alert, 1) is not None


class UnreachableStoreWriter(GroupCommitWriter):
    """A writer whose store cannot be opened for its first `failures` connections."""

    def __init__(self, store, *, failures: int, **kwargs) -> None:
        super().__init__(store, **kwargs)
        self.failures = failures

    def _connection(self):  # type: ignore[override]
        if self.failures:
            self.failures -= 1
            raise OSError("unable to open database file")
        return super()._connection()


def test_a_store_that_cannot_be_opened_fails_the_submissions_instead_of_hanging(store):
    writer = UnreachableStoreWriter(store, failures=100)

    async def scenario():
        writer.start()
        return await asyncio.wait_for(
            asyncio.gather(*(writer.submit(sub(n)) for n in range(3)), return_exceptions=True),
            timeout=5,
        )

    results = asyncio.run(scenario())
    assert all(isinstance(r, OSError) for r in results)
    assert writer.pending == 0


def test_the_writer_goes_on_once_the_store_can_be_opened_again(store):
    writer = UnreachableStoreWriter(store, failures=1)

    async def scenario():
        writer.start()
        refused = await asyncio.gather(writer.submit(sub(1)), return_exceptions=True)
        accepted = await asyncio.wait_for(writer.submit(sub(2)), timeout=5)
        return refused[0], accepted

    refused, accepted = asyncio.run(scenario())
    assert isinstance(refused, OSError)
    assert accepted[0].alert_iid == 1  # the refused one was never written
