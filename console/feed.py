"""The alert feed's query side: which alerts a tab shows, in what order, and how many.

A `FeedQuery` is a tab (open, triggered, acknowledged, resolved, all), a search text and a
sort (severity by rank, start time, events, or status in GitLab's order), each either way.
"Descending" always means most pressing first: critical first, newest first, most events
first, triggered first. Ties fall back to the start time, then the alert number, in the same
direction, so every alert has one exact place and the order is total.

Measured on a 1,000,000-alert SQLite store (warm cache, 2 cores) and chosen from that:

- `LIMIT/OFFSET` paging costs what it skips: a page at offset 500,000 takes 19-58 ms, too
  slow for a view that must never stall a frame. So the feed reads each query's *order*
  once, as an array of alert numbers (`order`: 8 bytes per alert, about 0.3 s for a
  million, on a worker thread), and fetches the rows of any page by primary key (1-2 ms per
  100 rows) wherever it is. `prefix` reads just the first rows, so the screen fills at once.
- Start-time order walks `ix_alerts_status_started` or `ix_alerts_started_at`. Severity order
  reads one index segment per severity (`ix_alerts_severity_started`, migration 0002) instead
  of sorting every row by a CASE expression (1 s for a million): 0.35 s; status order
  reads one segment per status. Both columns are fixed when an alert is created, so the new
  index costs ingestion one insert per alert and nothing on updates. Events change on every
  repeat, so an index on them would cost each repeat an index update: events order sorts
  instead (about 1.5 s on a million, off the GUI thread; its first page 0.3-0.8 s).
- Counting a big tab is a scan (15-45 ms for a million). `TabCounter` counts only the small
  statuses and keeps the total by counting alerts above the last number it saw, which is
  exact because alert numbers only grow and alerts are never deleted.
- Search: see `console.feed_search`.

Nothing here imports Qt; the feed's Qt model (`console.views.alert_feed_model`) adapts it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import (
    ColumnElement,
    Select,
    UnaryExpression,
    bindparam,
    case,
    func,
    literal,
    select,
)
from sqlalchemy.orm import InstrumentedAttribute, Session

from console import feed_search
from console.models import Alert, AlertStatus, Severity

TABS = ("open", "triggered", "acknowledged", "resolved", "all")
TAB_STATUSES: dict[str, tuple[str, ...] | None] = {
    "open": (AlertStatus.TRIGGERED.value, AlertStatus.ACKNOWLEDGED.value),
    "triggered": (AlertStatus.TRIGGERED.value,),
    "acknowledged": (AlertStatus.ACKNOWLEDGED.value,),
    "resolved": (AlertStatus.RESOLVED.value,),
    "all": None,
}
SORT_KEYS = ("severity", "started_at", "events", "status")
# Higher is more pressing; anything unexpected ranks lowest.
SEVERITY_LEVEL = {
    Severity.CRITICAL.value: 5,
    Severity.HIGH.value: 4,
    Severity.MEDIUM.value: 3,
    Severity.LOW.value: 2,
    Severity.INFO.value: 1,
    Severity.UNKNOWN.value: 0,
}
STATUS_LEVEL = {
    AlertStatus.TRIGGERED.value: 3,
    AlertStatus.ACKNOWLEDGED.value: 2,
    AlertStatus.RESOLVED.value: 1,
    AlertStatus.IGNORED.value: 0,
}
SMALL_STATUSES = (
    AlertStatus.TRIGGERED.value,
    AlertStatus.ACKNOWLEDGED.value,
    AlertStatus.IGNORED.value,
)
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ID_CHUNK = 500
FETCH_CHUNK = 20_000
SEVERITY_INDEX = "ix_alerts_severity_started"

SortKey = tuple[int, int, int]
KeyFields = tuple[int, str, str, int, datetime]
Stop = Callable[[], bool]


def micros(moment: datetime) -> int:
    """A timestamp as whole microseconds since 1970 (exact, unlike a float)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


def sort_key(sort: str, fields: KeyFields) -> SortKey:
    """Where an alert falls in `sort` order: compare keys ascending; descending reverses.

    `fields` are (iid, severity, status, events, started_at), as `KEY_COLUMNS` reads them.
    """
    iid, severity, status, events, at = fields
    if sort == "severity":
        primary = SEVERITY_LEVEL.get(severity, 0)
    elif sort == "events":
        primary = events
    elif sort == "status":
        primary = STATUS_LEVEL.get(status, -1)
    else:
        primary = 0
    return (primary, micros(at), iid)


@dataclass(frozen=True, slots=True)
class FeedRow:
    """What one feed row shows."""

    iid: int
    title: str
    severity: str
    status: str
    events: int
    started_at: datetime
    incident_iid: int | None

    def key(self, sort: str) -> SortKey:
        """This alert's place in `sort` order."""
        return sort_key(sort, (self.iid, self.severity, self.status, self.events, self.started_at))


@dataclass(frozen=True, slots=True)
class AlertState:
    """Whether an alert belongs to a query now, and where it sorts."""

    iid: int
    member: bool
    key: SortKey


ROW_COLUMNS = (
    Alert.iid,
    Alert.title,
    Alert.severity,
    Alert.status,
    Alert.events,
    Alert.started_at,
    Alert.incident_iid,
)
KEY_COLUMNS = (Alert.iid, Alert.severity, Alert.status, Alert.events, Alert.started_at)
# Built once: the feed runs it on every jump of the scroll bar.
ROWS_BY_IID = select(*ROW_COLUMNS).where(Alert.iid.in_(bindparam("iids", expanding=True)))


def read_snapshot(session: Session) -> None:
    """Make every read of `session` see one snapshot, so an order and its count agree.

    SQLite already reads one snapshot per transaction (WAL); PostgreSQL needs REPEATABLE READ.
    Call before the session's first query.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


def _chunks(iids: Sequence[int]) -> Iterable[list[int]]:
    for start in range(0, len(iids), ID_CHUNK):
        yield [int(i) for i in iids[start : start + ID_CHUNK]]


def _utc(value: datetime | str) -> datetime:
    """A time as stored (SQLite text, or a driver's datetime), aware in UTC."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def rows(session: Session, iids: Sequence[int]) -> dict[int, FeedRow]:
    """The feed rows of `iids` (missing alerts are left out), by primary key.

    Read from the driver's cursor: the feed reads a page on every jump of the scroll bar,
    and building rows through result processing tripled the cost.
    """
    found: dict[int, FeedRow] = {}
    for chunk in _chunks(iids):
        result = session.connection().execute(ROWS_BY_IID, {"iids": chunk})
        try:
            for iid, title, severity, status, events, at, incident in result.cursor.fetchall():
                found[iid] = FeedRow(iid, title, severity, status, events, _utc(at), incident)
        finally:
            result.close()
    return found


def keys(session: Session, sort: str, iids: Sequence[int]) -> dict[int, SortKey]:
    """The sort keys of `iids` in `sort` order."""
    found: dict[int, SortKey] = {}
    for chunk in _chunks(iids):
        for iid, severity, status, events, at in session.execute(
            select(*KEY_COLUMNS).where(Alert.iid.in_(chunk))
        ):
            found[iid] = sort_key(sort, (iid, severity, status, events, at))
    return found


def _fetch_iids(session: Session, query: Select[Any], stop: Stop | None = None) -> np.ndarray:
    # Straight from the driver's cursor: a million rows in 0.3 s instead of 0.9 s through
    # result rows, which matters because an order is read whole.
    result = session.connection().execute(query)
    parts: list[np.ndarray] = []
    try:
        while rows := result.cursor.fetchmany(FETCH_CHUNK):
            parts.append(np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows)))
            if stop is not None and stop():
                break
    finally:
        result.close()
    return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class FeedQuery:
    """One view of the feed: a tab, a search and a sort."""

    tab: str = "open"
    search: str = ""
    sort: str = "started_at"
    descending: bool = True

    def __post_init__(self) -> None:
        if self.tab not in TAB_STATUSES:
            raise ValueError(f"tab must be one of {', '.join(TABS)}, not {self.tab!r}")
        if self.sort not in SORT_KEYS:
            raise ValueError(f"sort must be one of {', '.join(SORT_KEYS)}, not {self.sort!r}")

    @property
    def statuses(self) -> tuple[str, ...] | None:
        """The statuses this tab shows (None: every status)."""
        return TAB_STATUSES[self.tab]

    @property
    def term(self) -> str:
        """The search text, trimmed."""
        return self.search.strip()

    # -- filters and order ------------------------------------------------------------

    def _filters(self, plan: feed_search.SearchPlan | None) -> list[ColumnElement[bool]]:
        where: list[ColumnElement[bool]] = []
        if self.statuses is not None:
            where.append(Alert.status.in_(self.statuses))
        if plan is not None:
            if plan.candidates is not None:
                where.append(plan.candidates)
            elif plan.prefilter is not None:
                where.append(plan.prefilter)
            where.append(plan.clause)
        return where

    def _plan(self, session: Session) -> feed_search.SearchPlan | None:
        return feed_search.plan(session, self.term) if self.term else None

    def _order_by(self) -> list[UnaryExpression[Any]]:
        columns: list[ColumnElement[Any] | InstrumentedAttribute[Any]] = []
        if self.sort == "events":
            columns.append(Alert.events)
        elif self.sort == "severity":
            columns.append(case(SEVERITY_LEVEL, value=Alert.severity, else_=0))
        elif self.sort == "status":
            columns.append(case(STATUS_LEVEL, value=Alert.status, else_=-1))
        columns += [Alert.started_at, Alert.iid]
        return [c.desc() if self.descending else c.asc() for c in columns]

    def _segments(self) -> list[ColumnElement[bool] | None]:
        """Extra filters whose results, each in start-time order, concatenate to the order.

        Only for the big tabs (resolved, all): the others hold what still needs attention,
        few enough that one sorted query over the status index is faster.
        """
        big = self.statuses is None or self.tab == "resolved"
        # Ingestion stores only these six severities and lifecycle only these four statuses,
        # so equality segments (index seeks) cover every alert.
        if self.sort == "severity" and big:
            ranked = sorted(SEVERITY_LEVEL, key=SEVERITY_LEVEL.__getitem__)
            return [Alert.severity == name for name in ranked[:: -1 if self.descending else 1]]
        if self.sort == "status" and self.statuses is None:
            ranked = sorted(STATUS_LEVEL, key=STATUS_LEVEL.__getitem__)
            return [Alert.status == name for name in ranked[:: -1 if self.descending else 1]]
        return [None]

    def _segment_query(
        self, where: list[ColumnElement[bool]], segment: ColumnElement[bool] | None
    ) -> Select[Any]:
        query = select(Alert.iid).where(*where)
        if segment is None:
            return query.order_by(*self._order_by())
        # Within a segment the sort's first term is constant: start time, then number.
        by = (Alert.started_at, Alert.iid)
        query = query.where(segment).order_by(*(c.desc() if self.descending else c for c in by))
        if self.sort == "severity":
            # Without statistics SQLite would walk the status index for the resolved tab
            # and test every row's severity: 3.4 s instead of 1.2 s for a million.
            query = query.with_hint(Alert, f"INDEXED BY {SEVERITY_INDEX}", "sqlite")
        return query

    def _sparse_order(self, session: Session, plan: feed_search.SearchPlan) -> np.ndarray:
        found = session.execute(select(*KEY_COLUMNS).where(*self._filters(plan)))
        ranked = sorted(
            (sort_key(self.sort, (iid, sev, status, events, at)), iid)
            for iid, sev, status, events, at in found
        )
        if self.descending:
            ranked.reverse()
        return np.fromiter((iid for _key, iid in ranked), dtype=np.int64, count=len(ranked))

    # -- the public reads ----------------------------------------------------------------

    def order(self, session: Session, stop: Stop | None = None) -> np.ndarray:
        """Every matching alert number, in order (cut short once `stop()` turns true)."""
        plan = self._plan(session)
        if plan is not None and plan.sparse:
            return self._sparse_order(session, plan)
        if self.tab == "resolved" and plan is None and self.sort == "severity":
            # Resolved alerts are nearly all of them, and the severity index does not hold
            # the status: reading everything in severity order (an index-only walk) and
            # dropping the few unresolved takes 0.35 s where filtering each row takes 1.4 s.
            everything = replace(self, tab="all").order(session, stop)
            unresolved = select(Alert.iid).where(Alert.status.in_(SMALL_STATUSES))
            return everything[~np.isin(everything, _fetch_iids(session, unresolved))]
        where = self._filters(plan)
        parts: list[np.ndarray] = []
        for segment in self._segments():
            if stop is not None and stop():
                return np.empty(0, dtype=np.int64)
            parts.append(_fetch_iids(session, self._segment_query(where, segment), stop))
        return np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)

    def prefix(self, session: Session, limit: int) -> tuple[np.ndarray, int | None, bool]:
        """The first `limit` alert numbers, the total if cheap to know, and whether that is all.

        The total is None for a dense search, whose count needs the full order.
        """
        plan = self._plan(session)
        if plan is not None and plan.sparse:
            everything = self._sparse_order(session, plan)
            return everything, len(everything), True
        where = self._filters(plan)
        parts: list[np.ndarray] = []
        wanted = limit
        for segment in self._segments():
            part = _fetch_iids(session, self._segment_query(where, segment).limit(wanted + 1))
            parts.append(part[:wanted])
            wanted -= len(parts[-1])
            if len(part) > len(parts[-1]) or wanted == 0:
                break
        first = np.concatenate(parts) if parts else np.empty(0, dtype=np.int64)
        if wanted > 0:  # every segment ran dry before the limit: this is the whole order
            return first, len(first), True
        total = self.count(session) if plan is None else None
        return first, total, total is not None and total == len(first)

    def count(self, session: Session) -> int:
        """How many alerts this query shows (a dense search scans; the feed avoids that)."""
        plan = self._plan(session)
        query = select(func.count()).select_from(Alert).where(*self._filters(plan))
        return int(session.execute(query).scalar_one())

    def page(self, session: Session, offset: int, limit: int) -> list[FeedRow]:
        """Rows `offset` to `offset + limit` in order, by `LIMIT/OFFSET` (for short lists)."""
        query = (
            select(*ROW_COLUMNS)
            .where(*self._filters(self._plan(session)))
            .order_by(*self._order_by())
            .offset(offset)
            .limit(limit)
        )
        return [FeedRow(*row) for row in session.execute(query)]

    def tab_counts(self, session: Session) -> dict[str, int]:
        """How many alerts each tab holds, counting only those this search matches."""
        plan = self._plan(session)
        if plan is None:
            return TabCounter().refresh(session)
        by_status = _status_counts(session, FeedQuery(tab="all")._filters(plan))
        return _tabs_from_statuses(by_status, sum(by_status.values()))

    def states(self, session: Session, iids: Sequence[int]) -> dict[int, AlertState]:
        """For each of `iids` that exists: whether this query shows it, and its sort key."""
        match: ColumnElement[bool] | None = None
        if self.term:
            match = feed_search.like_clause(session, self.term)
        found: dict[int, AlertState] = {}
        flag = case((match, 1), else_=0) if match is not None else literal(1)
        for chunk in _chunks(iids):
            query = select(*KEY_COLUMNS, flag).where(Alert.iid.in_(chunk))
            for iid, severity, status, events, at, matched in session.execute(query):
                shown = self.statuses is None or status in self.statuses
                fields = (iid, severity, status, events, at)
                found[iid] = AlertState(iid, shown and bool(matched), sort_key(self.sort, fields))
        return found


def _status_counts(session: Session, where: list[ColumnElement[bool]]) -> dict[str, int]:
    query = select(Alert.status, func.count()).where(*where).group_by(Alert.status)
    return {status: int(n) for status, n in session.execute(query)}


def _tabs_from_statuses(by_status: dict[str, int], total: int) -> dict[str, int]:
    triggered = by_status.get(AlertStatus.TRIGGERED.value, 0)
    acknowledged = by_status.get(AlertStatus.ACKNOWLEDGED.value, 0)
    return {
        "open": triggered + acknowledged,
        "triggered": triggered,
        "acknowledged": acknowledged,
        "resolved": by_status.get(AlertStatus.RESOLVED.value, 0),
        "all": total,
    }


class TabCounter:
    """Counts per tab, cheap enough to refresh on every live update.

    Triggered, acknowledged and ignored alerts are counted through the status index (their
    number is what people must deal with, so it stays small); the total is counted once and
    then grown by the alerts above the highest number seen, which is exact because numbers
    only grow and alerts are not deleted; resolved is the rest. `refresh(full=True)` recounts.
    """

    def __init__(self) -> None:
        self._total: int | None = None
        self._newest = 0

    def refresh(self, session: Session, *, full: bool = False) -> dict[str, int]:
        """The counts now (read in one transaction, so they agree with each other)."""
        by_status = _status_counts(session, [Alert.status.in_(SMALL_STATUSES)])
        newest = int(session.execute(select(func.max(Alert.iid))).scalar() or 0)
        if self._total is None or full:
            total = session.execute(select(func.count()).select_from(Alert)).scalar_one()
            self._total = int(total)
        elif newest > self._newest:
            added = session.execute(
                select(func.count()).select_from(Alert).where(Alert.iid > self._newest)
            ).scalar_one()
            self._total += int(added)
        self._newest = newest
        small = sum(by_status.values())
        by_status[AlertStatus.RESOLVED.value] = self._total - small
        return _tabs_from_statuses(by_status, self._total)
