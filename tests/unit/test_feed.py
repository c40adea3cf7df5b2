"""The feed's query side: tabs, orders, search, counts, and the order kept live."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from sqlalchemy import update

from console import feed_order as feed_order_module
from console import feed_search
from console.engine import lifecycle
from console.feed import TABS, FeedQuery, TabCounter
from console.feed import keys as feed_keys
from console.feed_order import FeedOrder
from console.models import Alert
from tests.unit.test_pipeline import generic, run

START = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
SEVERITIES = ("critical", "high", "medium", "low", "info")
SERVICES = ("orders", "payments", "search")


def populate(store, count: int, seed: int = 3, start_iid: int = 0) -> None:
    """`count` alerts with mixed severities, start times, repeats and statuses."""
    rng = random.Random(seed)
    subs = []
    for n in range(start_iid, start_iid + count):
        at = START + timedelta(minutes=rng.randrange(0, 600))
        subs.append(
            generic(
                title=f"{rng.choice(['Disk full', 'CPU high', 'Latency'])} on web-{n}",
                description=rng.choice(["", "value above 95%", "under_score here"]),
                service=rng.choice(SERVICES),
                monitoring_tool=rng.choice(["Prometheus", "Zabbix"]),
                severity=rng.choice(SEVERITIES),
                start_time=at.isoformat(),
                fingerprint=f"fp-{n}",
            )
        )
        if rng.random() < 0.3:  # a repeat: one more event
            subs.append(generic(fingerprint=f"fp-{n}", title="again"))
    run(store, *subs)
    with store.write() as session:
        for iid in range(start_iid + 1, start_iid + count + 1):
            roll = rng.random()
            status = "acknowledged" if roll < 0.2 else "resolved" if roll < 0.6 else None
            if roll > 0.95:
                status = "ignored"
            if status:
                lifecycle.set_alert_status(session, iid, status, "tester")
        if count:
            session.execute(
                update(Alert).where(Alert.iid == start_iid + 1).values(severity="unknown")
            )


def sql_order(store, query: FeedQuery) -> list[int]:
    with store.read() as session:
        return [row.iid for row in query.page(session, 0, 10_000)]


def full_order(store, query: FeedQuery) -> list[int]:
    with store.read() as session:
        return [int(i) for i in query.order(session)]


@pytest.fixture
def filled(store):
    populate(store, 120)
    return store


@pytest.mark.parametrize("tab", TABS)
@pytest.mark.parametrize("sort", ["severity", "started_at", "events", "status"])
@pytest.mark.parametrize("descending", [True, False])
def test_order_agrees_with_sql_order_by(filled, tab, sort, descending):
    query = FeedQuery(tab=tab, sort=sort, descending=descending)
    expected = sql_order(filled, query)
    assert full_order(filled, query) == expected
    with filled.read() as session:
        assert query.count(session) == len(expected)


def test_severity_sorts_by_rank_not_alphabet(filled):
    with filled.read() as session:
        rows = FeedQuery(tab="all", sort="severity").page(session, 0, 10_000)
    seen = list(dict.fromkeys(row.severity for row in rows))
    assert seen == ["critical", "high", "medium", "low", "info", "unknown"]
    within = [row.started_at for row in rows if row.severity == "high"]
    assert within == sorted(within, reverse=True)


def test_status_sorts_in_gitlab_order(filled):
    with filled.read() as session:
        rows = FeedQuery(tab="all", sort="status", descending=True).page(session, 0, 10_000)
        backwards = FeedQuery(tab="all", sort="status", descending=False).page(session, 0, 9999)
    order = ["triggered", "acknowledged", "resolved", "ignored"]
    assert list(dict.fromkeys(row.status for row in rows)) == order
    assert list(dict.fromkeys(row.status for row in backwards)) == order[::-1]


def test_tabs_hold_their_statuses(filled):
    with filled.read() as session:
        for tab, statuses in (
            ("open", {"triggered", "acknowledged"}),
            ("triggered", {"triggered"}),
            ("acknowledged", {"acknowledged"}),
            ("resolved", {"resolved"}),
        ):
            rows = FeedQuery(tab=tab).page(session, 0, 10_000)
            assert rows and {row.status for row in rows} == statuses


def test_prefix_is_the_start_of_the_order_with_the_total(filled):
    for sort in ("severity", "started_at", "events", "status"):
        query = FeedQuery(tab="all", sort=sort)
        with filled.read() as session:
            first, total, complete = query.prefix(session, 25)
        assert [int(i) for i in first] == full_order(filled, query)[:25]
        assert total == 120 and not complete
    with filled.read() as session:
        first, total, complete = FeedQuery(tab="all").prefix(session, 500)
    assert len(first) == total == 120 and complete


def test_counts_per_tab_follow_new_alerts_and_changes(filled):
    counter = TabCounter()
    with filled.read() as session:
        counts = counter.refresh(session)
        expected = {tab: len(sql_order(filled, FeedQuery(tab=tab))) for tab in TABS}
        assert counts == expected
    populate(filled, 30, seed=9, start_iid=120)
    with filled.write() as session:
        lifecycle.set_alert_status(session, 2, "resolved", "tester")
    with filled.read() as session:
        counts = counter.refresh(session)
        assert counts == {tab: len(sql_order(filled, FeedQuery(tab=tab))) for tab in TABS}
        assert FeedQuery(tab="all").tab_counts(session) == counts


@pytest.mark.parametrize("indexed", [False, True])
def test_search_matches_any_of_four_fields_case_insensitively(filled, indexed):
    if indexed:
        with filled.write() as session:
            assert feed_search.index_pending(session, limit=50) == 50  # the rest is the tail
    with filled.read() as session:
        every = FeedQuery(tab="all").page(session, 0, 10_000)
        for term, expect in (
            ("DISK", lambda a: "disk" in a.title.lower()),
            ("web-11", lambda a: "web-11" in a.title),
            ("paym", lambda a: True),
            ("zabbix", lambda a: True),
            ("95%", lambda a: True),
            ("r_s", lambda a: True),
            ("nothing like this", lambda a: False),
        ):
            query = FeedQuery(tab="all", search=term)
            found = [int(i) for i in query.order(session)]
            assert found == [row.iid for row in query.page(session, 0, 10_000)]
            if term == "DISK" or term == "web-11":
                assert set(found) == {a.iid for a in every if expect(a)}
            if term == "nothing like this":
                assert found == []
        alerts = {a.iid: a for a in session.query(Alert)}
        underscore = FeedQuery(tab="all", search="r_s").order(session)
        assert all("r_s" in alerts[int(i)].description for i in underscore)
        percent = FeedQuery(tab="all", search="95%").order(session)
        assert len(percent) and all("95%" in alerts[int(i)].description for i in percent)


def test_search_index_catches_up_in_chunks(filled):
    with filled.read() as session:
        assert feed_search.pending_count(session) == 120
    with filled.write() as session:
        assert feed_search.index_pending(session, limit=100) == 100
    with filled.write() as session:
        assert feed_search.index_pending(session, limit=100) == 20
        assert feed_search.index_pending(session, limit=100) == 0
    with filled.read() as session:
        assert feed_search.pending_count(session) == 0
        plan = feed_search.plan(session, "web-1")
        assert plan.sparse


def test_trigram_query_is_short_for_long_terms():
    assert feed_search.trigram_query("ab") is None
    assert feed_search.trigram_query('a"b') == '"a""b"'
    long = feed_search.trigram_query("a very long search phrase indeed")
    assert long is not None and long.count(" AND ") == feed_search.MAX_TRIGRAMS - 1


class Recorder:
    """Replays an order's announced steps on a plain list, as a view would see them."""

    def __init__(self, order: FeedOrder) -> None:
        self.order = order
        self.rows: list[int | None] = [order.iid_at(r) for r in range(len(order))]
        self.pending: tuple[str, int, int] | None = None
        self.updates: list[tuple[int, int]] = []

    def removing(self, first: int, last: int) -> None:
        self.pending = ("remove", first, last)

    def removed(self) -> None:
        assert self.pending is not None and self.pending[0] == "remove"
        _kind, first, last = self.pending
        del self.rows[first : last + 1]
        assert len(self.rows) == len(self.order)
        self.pending = None

    def inserting(self, first: int, last: int) -> None:
        assert 0 <= first <= len(self.rows)
        self.pending = ("insert", first, last)

    def inserted(self) -> None:
        assert self.pending is not None and self.pending[0] == "insert"
        _kind, first, last = self.pending
        self.rows[first:first] = [self.order.iid_at(r) for r in range(first, last + 1)]
        assert len(self.rows) == len(self.order)
        self.pending = None

    def updated_rows(self) -> list[int]:
        return [r for first, last in self.updates for r in range(first, last + 1)]

    def updated(self, first: int, last: int) -> None:
        self.updates.append((first, last))
        for row in range(first, last + 1):
            self.rows[row] = self.order.iid_at(row)


@pytest.mark.parametrize("sort", ["severity", "started_at", "events", "status"])
@pytest.mark.parametrize("tab", ["open", "all"])
def test_live_changes_keep_the_order_exact(filled, sort, tab):
    query = FeedQuery(tab=tab, sort=sort, search="" if tab == "all" else "on web")
    with filled.read() as session:
        order = FeedOrder(query, query.order(session))
    recorder = Recorder(order)
    populate(filled, 15, seed=11, start_iid=120)  # new alerts
    with filled.write() as session:  # and changes to old ones
        for iid in (3, 7, 8, 40, 41):
            lifecycle.set_alert_status(session, iid, "triggered", "tester")
        for iid in (5, 6, 90):
            lifecycle.set_alert_status(session, iid, "resolved", "tester")
    run(filled, generic(fingerprint="fp-40", title="repeat"))  # alert 41
    changed = [3, 5, 6, 7, 8, 40, 41, 90, *range(121, 136), 999]
    with filled.read() as session:
        order.apply(session, changed, recorder)
    expected = full_order(filled, query)
    assert [order.iid_at(r) for r in range(len(order))] == expected
    assert recorder.rows == expected
    assert recorder.pending is None


def test_an_unchanged_order_only_reports_updates(filled):
    with filled.write() as session:
        lifecycle.set_alert_status(session, 10, "acknowledged", "tester")
    query = FeedQuery(tab="all", sort="started_at")
    with filled.read() as session:
        order = FeedOrder(query, query.order(session))
    recorder = Recorder(order)
    before = list(recorder.rows)
    [[result]] = run(filled, generic(fingerprint="fp-9", title="repeat"))
    assert (result.outcome, result.alert_iid) == ("repeated", 10)
    with filled.read() as session:
        order.apply(session, [10], recorder)
    assert recorder.rows == before
    assert recorder.updated_rows() == [before.index(10)]


def test_a_prefix_completes_with_the_full_order(filled):
    query = FeedQuery(tab="all")
    with filled.read() as session:
        first, total, _complete = query.prefix(session, 10)
        full = query.order(session)
    order = FeedOrder(query, first, total)
    assert len(order) == 120 and order.known == 10 and not order.is_complete
    assert order.iid_at(9) == int(first[9]) and order.iid_at(10) is None
    recorder = Recorder(order)
    order.complete(full, recorder)
    assert order.is_complete and recorder.updates == [(10, 119)]
    assert recorder.rows == [int(i) for i in full]
    with pytest.raises(RuntimeError):
        FeedOrder(query, first, total).apply(None, [1], recorder)  # type: ignore[arg-type]


def test_positions_find_alerts_anywhere(filled):
    order = FeedOrder(FeedQuery(tab="all"), np.arange(1000, 0, -1))
    assert order.positions([1000, 1, 500, 5000]) == {1000: 0, 1: 999, 500: 500}


@pytest.mark.parametrize("descending", [True, False])
def test_a_new_alert_at_either_end_is_placed_from_the_keys_on_screen(
    filled, monkeypatch, descending
):
    query = FeedQuery(tab="all", sort="started_at", descending=descending)
    with filled.read() as session:
        order = FeedOrder(query, query.order(session))
        # What the feed has read: the screen's rows (the top) and the last row.
        shown = [order.iid_at(r) for r in (*range(30), len(order) - 1)]
        order.remember(feed_keys(session, "started_at", shown))
    recorder = Recorder(order)
    read: list[list[int]] = []
    real_keys = feed_order_module.keys

    def counting(session, sort, iids):
        read.append(list(iids))
        return real_keys(session, sort, iids)

    monkeypatch.setattr(feed_order_module, "keys", counting)
    newest = START + timedelta(days=30)
    [[result]] = run(filled, generic(fingerprint="newest", start_time=newest.isoformat()))
    with filled.read() as session:
        order.apply(session, [result.alert_iid], recorder)
    assert recorder.rows == full_order(filled, query)
    position = recorder.rows.index(result.alert_iid)
    assert position == (0 if descending else len(recorder.rows) - 1)
    assert read == []  # placed from keys already known, not a bisection's fresh reads


@pytest.mark.parametrize("tab", ["all", "open"])
@pytest.mark.parametrize("sort", ["started_at", "severity"])
def test_a_dense_search_narrows_its_scan_by_the_index_and_stays_exact(
    filled, monkeypatch, tab, sort
):
    with filled.write() as session:
        feed_search.index_pending(session, limit=70)  # the rest waits above the watermark
    monkeypatch.setattr(feed_search, "SPARSE_LIMIT", 3)  # every term here is dense
    with filled.read() as session:
        for term in ("web", "disk", "on web-1", "nothing like this"):
            plan = feed_search.plan(session, term)
            assert not plan.sparse and plan.prefilter is not None
            query = FeedQuery(tab=tab, sort=sort, search=term)
            unfiltered = FeedQuery(tab=tab, sort=sort)
            every = unfiltered.page(session, 0, 10_000)
            found = [int(i) for i in query.order(session)]
            assert found == [
                row.iid for row in every if term in full_text(session, row.iid).lower()
            ]
            assert found or term == "nothing like this"
            assert any(iid > 70 for iid in found) or not found  # unindexed ones too
            first, _total, _complete = query.prefix(session, 5)
            assert [int(i) for i in first] == found[:5]


def full_text(session, iid: int) -> str:
    alert = session.get(Alert, iid)
    return "\n".join((alert.title, alert.description, alert.service, alert.monitoring_tool))
