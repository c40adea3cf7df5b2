"""Writers of several `serve` workers on one SQLite store: the shared write lock, the WAL
sync before every answer, and deduplication across writers."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
import time

import pytest

from console.engine.shared_writes import (
    BACKSTOP_CHECKPOINT_PAGES,
    SharedWrites,
    WalCheckpointer,
)
from console.engine.writer import GroupCommitWriter
from console.models import Alert, AlertEvent
from tests.unit.test_pipeline import generic


def shared_writer(store, **kwargs) -> GroupCommitWriter:
    assert store.sqlite_path is not None
    return GroupCommitWriter(store, shared=SharedWrites(store.sqlite_path), **kwargs)


def test_only_one_worker_holds_the_lock_at_a_time(store):
    one, other = SharedWrites(store.sqlite_path), SharedWrites(store.sqlite_path)
    try:
        assert one.try_acquire()
        assert not other.try_acquire()
        one.release()
        assert other.try_acquire()
        assert not one.try_acquire()
    finally:
        one.close()
        other.close()


def test_each_worker_counts_its_time_holding_the_lock_and_its_busy_tries(store):
    one, other = SharedWrites(store.sqlite_path), SharedWrites(store.sqlite_path)
    try:
        assert (one.held_seconds, one.busy) == (0.0, 0)
        assert one.try_acquire()
        time.sleep(0.05)
        assert not other.try_acquire()  # found taken
        assert not other.try_acquire()  # and again
        one.release()
        one.release()  # a second release is no second hold
        assert 0.05 <= one.held_seconds < 1.0
        assert (one.busy, other.busy, other.held_seconds) == (0, 2, 0.0)
        assert other.try_acquire()
        other.release()
        assert other.held_seconds > 0.0
    finally:
        one.close()
        other.close()


def test_each_worker_counts_the_time_its_wal_syncs_take(store):
    shared = SharedWrites(store.sqlite_path)
    try:
        with store.write_engine.begin() as conn:  # the WAL exists once something is written
            conn.exec_driver_sql("CREATE TABLE sync_probe (x)")
        shared.sync_wal()
        first = shared.sync_seconds
        shared.sync_wal()
        assert 0.0 < first < shared.sync_seconds < 10.0
    finally:
        shared.close()


def test_a_worker_that_waited_goes_before_the_one_that_just_let_go(store):
    one, other = SharedWrites(store.sqlite_path), SharedWrites(store.sqlite_path)
    try:
        assert one.try_acquire()
        assert not other.try_acquire()  # taken: `other` now waits for its turn
        one.release()
        assert not one.try_acquire()  # free, but `other` waited: its turn first
        assert other.try_acquire()
        other.release()
        assert one.try_acquire()  # `one` waited meanwhile
        one.release()
        assert one.try_acquire()  # nobody waits: the lock is simply free
    finally:
        one.close()
        other.close()


def test_a_batch_waits_for_the_lock_while_the_loop_goes_on(store):
    other_worker = SharedWrites(store.sqlite_path)
    assert other_worker.try_acquire()
    writer = shared_writer(store)
    ticks = 0

    async def scenario():
        nonlocal ticks
        writer.start()
        submitted = asyncio.ensure_future(writer.submit(generic(title="a", fingerprint="a")))
        for _ in range(20):
            await asyncio.sleep(0.005)
            ticks += 1
        assert not submitted.done()  # nothing is written without the lock
        with store.read() as session:
            assert session.query(Alert).count() == 0
        other_worker.release()
        result = await asyncio.wait_for(submitted, 5)
        await writer.close()
        return result

    try:
        [result] = asyncio.run(scenario())
    finally:
        other_worker.close()
    assert result.alert_iid == 1
    assert ticks == 20


def test_answers_come_only_after_the_wal_is_synced(store, monkeypatch):
    events: list[str] = []
    writer = shared_writer(store)
    assert writer.shared is not None
    real_sync = writer.shared.sync_wal

    def sync() -> None:
        with store.read() as session:  # committed (and the lock let go) before the sync
            events.append(f"sync after {session.query(Alert).count()} alerts")
        assert not writer.shared.held
        real_sync()

    monkeypatch.setattr(writer.shared, "sync_wal", sync)

    async def scenario():
        writer.start()
        submitted = writer.submit(generic(title="a", fingerprint="a"))
        result = await submitted
        events.append("answered")
        await writer.close()
        return result

    asyncio.run(scenario())
    assert events == ["sync after 1 alerts", "answered"]


def test_the_shared_writer_commits_without_the_sync_inside_the_lock(store):
    writer = shared_writer(store)

    async def scenario():
        writer.start()
        await writer.submit(generic(title="a", fingerprint="a"))
        conn = writer._connection()
        level = conn.connection.driver_connection.execute("PRAGMA synchronous").fetchone()[0]
        await writer.close()
        return level

    assert asyncio.run(scenario()) == 1  # NORMAL: the writer syncs the WAL itself


def outcome_when_the_sync_fails(store, monkeypatch, work) -> object:
    """What `work(writer)` (an awaitable) ends with when the WAL sync after it fails."""
    writer = shared_writer(store)
    assert writer.shared is not None

    def broken() -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(writer.shared, "sync_wal", broken)

    async def scenario():
        writer.start()
        outcome = await asyncio.gather(work(writer), return_exceptions=True)
        await writer.close()
        return outcome

    [outcome] = asyncio.run(scenario())
    return outcome


def test_a_failed_sync_fails_the_batch_instead_of_answering(store, monkeypatch):
    outcome = outcome_when_the_sync_fails(
        store, monkeypatch, lambda writer: writer.submit(generic(title="a", fingerprint="a"))
    )
    assert isinstance(outcome, OSError)
    assert "could not sync the store" in str(outcome)


def test_a_failed_sync_fails_a_manual_change_too(store, monkeypatch):
    outcome = outcome_when_the_sync_fails(
        store,
        monkeypatch,
        lambda writer: asyncio.wrap_future(
            writer.call_future(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
        ),
    )
    assert isinstance(outcome, OSError)
    assert "could not sync the store" in str(outcome)


def test_manual_changes_take_the_lock_too(store):
    other_worker = SharedWrites(store.sqlite_path)
    assert other_worker.try_acquire()
    writer = shared_writer(store)
    started = threading.Event()

    def loop_thread(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        loop.call_soon(writer.start)
        loop.call_soon(started.set)
        loop.run_forever()

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop_thread, args=(loop,), daemon=True)
    thread.start()
    started.wait(5)
    try:
        future = writer.call_future(lambda conn: conn.exec_driver_sql("SELECT 1").scalar())
        with pytest.raises(TimeoutError):
            future.result(timeout=0.1)  # waits for the other worker
        other_worker.release()
        assert future.result(timeout=5) == 1
    finally:
        asyncio.run_coroutine_threadsafe(writer.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(5)
        other_worker.close()


def test_two_writers_on_one_store_keep_one_open_alert_per_fingerprint(store):
    """Two workers' writers racing on the same fingerprints: every notification is one
    event, and each fingerprint has one open alert, as with one writer."""
    fingerprints = [f"fp-{n}" for n in range(20)]
    rounds = 15
    results: list[list] = [[], []]

    def worker(slot: int) -> None:
        writer = shared_writer(store)

        async def scenario():
            writer.start()
            for _ in range(rounds):
                batch = [writer.submit(generic(title=fp, fingerprint=fp)) for fp in fingerprints]
                results[slot] += await asyncio.gather(*batch)
            await writer.close()

        asyncio.run(scenario())

    threads = [threading.Thread(target=worker, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    outcomes = [r[0].outcome for slot in results for r in slot]
    assert outcomes.count("created") == len(fingerprints)
    assert outcomes.count("repeated") == 2 * rounds * len(fingerprints) - len(fingerprints)
    with store.read() as session:
        assert session.query(Alert).count() == len(fingerprints)
        assert session.query(AlertEvent).count() == 2 * rounds * len(fingerprints)
        assert {a.events for a in session.query(Alert)} == {2 * rounds}


@pytest.mark.parametrize(("index", "evaluates"), [(0, True), (1, False)])
def test_only_worker_0_evaluates_managed_alert_rules(store, tmp_path, index, evaluates):
    from console.runtime import Runtime, WorkerRole

    role = WorkerRole(index=index, directory=tmp_path, database=store.sqlite_path)
    runtime = Runtime(store, host="127.0.0.1", port=0, worker=role, watch_settings=False)

    async def scenario() -> bool:
        await runtime.start()
        try:
            return runtime.rules._task is not None
        finally:
            await runtime.stop()

    assert asyncio.run(scenario()) is evaluates
    assert (tmp_path / f"metrics-{index}.json").exists()  # its counts reach the others


def test_shared_writers_leave_checkpoints_to_the_checkpointer(store):
    writer = shared_writer(store)

    async def scenario():
        writer.start()
        await writer.submit(generic(title="a", fingerprint="a"))
        driver = writer._connection().connection.driver_connection
        pages = driver.execute("PRAGMA wal_autocheckpoint").fetchone()[0]
        await writer.close()
        return pages

    assert asyncio.run(scenario()) == BACKSTOP_CHECKPOINT_PAGES


def test_the_checkpointer_copies_committed_alerts_into_the_database_file(store):
    writer = shared_writer(store)
    checkpointer = WalCheckpointer(store.sqlite_path, interval=0.05)

    async def scenario():
        writer.start()
        await asyncio.gather(
            *(writer.submit(generic(title=f"a{n}", fingerprint=f"a{n}")) for n in range(50))
        )
        await writer.close()

    asyncio.run(scenario())

    def in_database_file() -> int:
        # immutable: the database file alone, as if the WAL did not exist
        uri = f"file:{store.sqlite_path}?immutable=1"
        conn = sqlite3.connect(uri, uri=True)
        try:
            return conn.execute("SELECT count(*) FROM alerts").fetchone()[0]
        except sqlite3.OperationalError:  # not even the tables are in the file yet
            return 0
        finally:
            conn.close()

    assert in_database_file() < 50  # still in the WAL only
    checkpointer.start()
    try:
        deadline = time.monotonic() + 10
        while in_database_file() < 50 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        checkpointer.stop()
    assert in_database_file() == 50
    assert checkpointer.checkpoints >= 1
    assert not checkpointer._thread.is_alive()
