"""The alert feed's Qt table model: an adapter over `console.feed`, costing what the screen shows.

The model holds the query's order (alert numbers, see `console.feed_order`) and fetches the
rows themselves a page of about 100 at a time by primary key, starting at the first row asked
for that it does not hold, keeping the last few thousand: `data()` never queries the store
except for a page it lacks, and a page costs the same at any depth of a million-row feed.
The feed's table draws each row from `look(row)` (see `console.views.feed_painter`); other
views, tooltips and accessibility ask a cell's roles together (`multiData`). Each row's
texts are made once.

Reading an order can take a second for a big tab, so it runs on a worker thread with its own
session, in one snapshot: first the leading rows and the total (the screen fills at once, and
the scroll bar is right), then the rest. The window keeps working meanwhile; rows not read yet
show as "…".

Live updates (`apply_changes`, fed from `ctx.updates.changed`) move the order with the
minimum of row insertions and removals, each announced to Qt, so views keep their selection,
current row and scroll position. Changes that arrive while an order is being read wait and
are applied once it is in.

New alerts, those numbered above the newest alert when the model was made, are drawn bold on
a tinted background until `mark_seen` (the feed widget calls it when an alert is selected or
has been on screen for a few seconds).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import partial
from typing import Any

import numpy as np
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QModelRoleData,
    QModelRoleDataSpan,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QFont, QIcon
from sqlalchemy import func, select

from console import feed
from console.feed import FeedQuery, FeedRow
from console.feed_order import FeedOrder
from console.models import Alert
from console.store import Store
from console.text import one_line
from console.views import severity_style

log = logging.getLogger(__name__)

Index = QModelIndex | QPersistentModelIndex
Role = Qt.ItemDataRole

COLUMNS = ("severity", "started_at", "alert", "events", "incident", "status")
HEADERS = ("Severity", "Start time", "Alert", "Events", "Incident", "Status")
SEVERITY, STARTED, ALERT, EVENTS, INCIDENT, STATUS = range(len(COLUMNS))
SORT_COLUMNS = {SEVERITY: "severity", STARTED: "started_at", EVENTS: "events", STATUS: "status"}
PAGE_ROWS = 100
PREFIX_ROWS = 400
CACHED_ROWS = 3000
IID_ROLE = Role.UserRole + 1
NEW_ROLE = Role.UserRole + 2
LOADING = "…"
RIGHT = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
ROW_FLAGS = (
    Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | Qt.ItemFlag.ItemNeverHasChildren
)


@dataclass(frozen=True, slots=True)
class RowLook:
    """A row as drawn: its texts, icon and colour, made once, when first drawn."""

    row: FeedRow
    texts: tuple[str, ...]
    icon: QIcon
    color: QColor

    @staticmethod
    def of(row: FeedRow, dark: bool) -> RowLook:
        look = severity_style.style(row.severity)
        texts = (
            look.label,
            # "2026-11-29 20:32:54", local time (isoformat is several times faster than strftime)
            row.started_at.astimezone().isoformat(" ", "seconds")[:19],
            f"#{row.iid} {one_line(row.title)}",
            str(row.events),
            f"#{row.incident_iid}" if row.incident_iid is not None else "",
            row.status.capitalize(),
        )
        return RowLook(row, texts, severity_style.icon(row.severity, dark), look.color(dark))


@dataclass(frozen=True, slots=True)
class _Read:
    """What the worker read for one query: leading rows and total, or the whole order."""

    generation: int
    query: FeedQuery
    iids: np.ndarray
    total: int | None
    complete: bool
    full: bool


def _read_order(
    store: Store, current: _Generation, generation: int, query: FeedQuery, courier: _Courier
) -> None:
    """On the worker thread: read `query`'s order in one snapshot and hand it over."""

    def stale() -> bool:
        return generation != current.value

    def hand_over(read: _Read) -> None:
        with contextlib.suppress(RuntimeError):  # the model is gone
            courier.delivered.emit(read)

    if stale():
        return
    try:
        with store.read() as session:
            feed.read_snapshot(session)
            first, total, complete = query.prefix(session, PREFIX_ROWS)
            hand_over(_Read(generation, query, first, total, complete, complete))
            if complete or stale():
                return
            full = query.order(session, stale)
            if not stale():
                hand_over(_Read(generation, query, full, len(full), True, True))
    except Exception:  # the store went away (closing), or a query failed
        log.exception("reading the alert feed failed")


class _Courier(QObject):
    """Carries reads from the worker to the model. The worker holds only this, a child of
    the model: releasing it on the worker thread can never destroy the model there."""

    delivered = Signal(object)


@dataclass(slots=True)
class _Generation:
    """The number of the query being read; a read of an older one stops early."""

    value: int = 0


class AlertFeedModel(QAbstractTableModel):
    """Alerts of one `FeedQuery`, in order; see the module docstring."""

    loading_changed = Signal(bool)
    settled = Signal()

    def __init__(
        self, store: Store, query: FeedQuery | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.store = store
        self._query = query or FeedQuery()
        self._order = FeedOrder(self._query, np.empty(0, dtype=np.int64))
        self._rows: dict[int, FeedRow] = {}
        self._views: dict[int, RowLook] = {}
        self._missing: set[int] = set()
        self._pending: set[int] = set()
        self._new: set[int] = set()
        self._generation = _Generation()
        self._loading = False
        self._installed = -1
        self._dark = severity_style.is_dark()
        self._bold = QFont()
        self._bold.setBold(True)
        self._new_background = severity_style.new_alert_background(self._dark)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="feed-reader")
        # Destroyed without `close` (with its parent): the thread must still end.
        self.destroyed.connect(partial(self._worker.shutdown, wait=False, cancel_futures=True))
        self._courier = _Courier(self)
        self._courier.delivered.connect(self._on_read, Qt.ConnectionType.QueuedConnection)
        with store.read() as session:
            self._baseline = int(session.execute(select(func.max(Alert.iid))).scalar() or 0)
        self.set_query(self._query)

    # -- the query and its order ---------------------------------------------------------

    @property
    def query(self) -> FeedQuery:
        """The query shown (or being read)."""
        return self._query

    @property
    def loading(self) -> bool:
        """Whether an order is being read."""
        return self._loading

    @property
    def showing_query(self) -> bool:
        """Whether the rows shown are the current query's (at least its first rows)."""
        return self._installed == self._generation.value

    @property
    def is_complete(self) -> bool:
        """Whether the order is in and current: every row is known."""
        return not self._loading and self._order.is_complete

    def set_query(self, query: FeedQuery) -> None:
        """Show `query`; rows appear when its order is read (on the worker thread)."""
        self._query = query
        self._generation.value += 1
        self._set_loading(True)
        try:
            self._worker.submit(
                _read_order,
                self.store,
                self._generation,
                self._generation.value,
                query,
                self._courier,
            )
        except RuntimeError:  # closed
            self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self._loading:
            self._loading = loading
            self.loading_changed.emit(loading)

    def _on_read(self, read: _Read) -> None:
        if read.generation != self._generation.value:
            return
        if self._installed != read.generation:
            self.beginResetModel()
            self._order = FeedOrder(read.query, read.iids, read.total)
            self._rows.clear()
            self._views.clear()
            self._missing.clear()
            self._installed = read.generation
            self.endResetModel()
        elif read.full:
            self._order.complete(read.iids, self)
        if read.full:
            self._set_loading(False)
            pending, self._pending = self._pending, set()
            if pending:
                self.apply_changes(sorted(pending))
            self.settled.emit()

    def close(self) -> None:
        """Stop reading (call when the view goes away)."""
        self._generation.value += 1
        self._worker.shutdown(wait=False, cancel_futures=True)

    # -- live changes --------------------------------------------------------------------

    def apply_changes(self, iids: Sequence[int]) -> None:
        """Alerts `iids` were created or changed: move, add, drop or redraw their rows."""
        if not iids:
            return
        fresh = [i for i in iids if i > self._baseline]
        self._new.update(fresh)
        self._forget(iids)
        if not self.is_complete:
            self._pending.update(iids)
            self._redraw(self._order.positions(iids).values())
            return
        with self.store.read() as session:
            self._order.apply(session, iids, self)

    def _redraw(self, rows: Iterable[int]) -> None:
        last = len(COLUMNS) - 1
        for row in rows:
            self.dataChanged.emit(self.index(row, 0), self.index(row, last))

    # FeedOrder's observer: each step announced to the views.
    def removing(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)

    def removed(self) -> None:
        self.endRemoveRows()

    def inserting(self, first: int, last: int) -> None:
        self.beginInsertRows(QModelIndex(), first, last)

    def inserted(self) -> None:
        self.endInsertRows()

    def updated(self, first: int, last: int) -> None:
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    # -- new alerts ------------------------------------------------------------------------

    def is_new(self, iid: int) -> bool:
        """Whether `iid` arrived since the model was made and has not been seen."""
        return iid in self._new

    @property
    def new_count(self) -> int:
        """How many new alerts are still unseen (in any tab)."""
        return len(self._new)

    def mark_seen(self, iids: Iterable[int]) -> None:
        """The user has seen these alerts: draw them plainly from now on."""
        seen = [i for i in iids if i in self._new]
        if seen:
            self._new.difference_update(seen)
            self._redraw(self._order.positions(seen).values())

    # -- rows ------------------------------------------------------------------------------

    def iid_at(self, row: int) -> int | None:
        """The alert shown at `row` (None if not read yet)."""
        return self._order.iid_at(row)

    def row_of(self, iid: int) -> int | None:
        """The row showing alert `iid`, if it is in the feed."""
        return self._order.positions([iid]).get(iid)

    def alert(self, row: int) -> FeedRow | None:
        """The feed row at `row`, read (with its page) if needed."""
        shown = self.look(row)
        return shown.row if shown is not None else None

    def look(self, row: int) -> RowLook | None:
        """How `row` is drawn (read with its page if needed); None while its alert is not
        known yet. The object stays the same until the alert changes."""
        iid = self._order.iid_at(row)
        if iid is None:
            return None
        shown = self._views.get(iid)
        if shown is None:
            found = self._rows.get(iid)
            if found is None and iid not in self._missing:
                self._load_rows(row)
                found = self._rows.get(iid)
            if found is None:
                return None
            shown = self._views[iid] = RowLook.of(found, self._dark)
        return shown

    def _load_rows(self, row: int) -> None:
        # Views draw top down, so the first row missing is usually the top of the screen:
        # one read from a little above it covers the whole screen.
        wanted = [
            i
            for i in self._order.iids(row - PAGE_ROWS // 8, row + PAGE_ROWS)
            if i not in self._rows
        ]
        with self.store.read() as session:
            found = feed.rows(session, wanted)
        self._missing.update(set(wanted) - found.keys())
        if len(self._rows) + len(found) > CACHED_ROWS:
            for stale in list(self._rows)[: len(self._rows) + len(found) - CACHED_ROWS]:
                del self._rows[stale]
                self._views.pop(stale, None)
        self._rows.update(found)
        self._order.remember({i: r.key(self._query.sort) for i, r in found.items()})

    def _forget(self, iids: Iterable[int]) -> None:
        for iid in iids:
            self._rows.pop(iid, None)
            self._views.pop(iid, None)
            self._missing.discard(iid)

    # -- QAbstractTableModel ------------------------------------------------------------------

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._order)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def flags(self, index: Index) -> Qt.ItemFlag:
        return ROW_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def data(self, index: Index, role: int = Role.DisplayRole) -> Any:
        if not index.isValid():
            return None
        return self._value(self.look(index.row()), index.column(), role)

    def multiData(self, index: Index, roleDataSpan: QModelRoleDataSpan | QModelRoleData) -> None:
        # Views ask for a cell's roles together: one call per cell instead of one per role
        # roughly halves the cost of painting the table.
        if not index.isValid():
            return
        shown = self.look(index.row())
        column = index.column()
        span: Any = roleDataSpan  # a sequence of QModelRoleData (the stubs say otherwise)
        if isinstance(span, QModelRoleData):
            span = [span]
        value_of = self._value
        for n in range(len(span)):
            item = span[n]
            value = value_of(shown, column, item.role())
            if value is None:
                item.clearData()
            else:
                item.setData(value)

    def _value(self, shown: RowLook | None, column: int, role: int) -> Any:
        if shown is None:
            return LOADING if role == Role.DisplayRole and column == ALERT else None
        if role == Role.DisplayRole:
            return shown.texts[column]
        if column == SEVERITY and role == Role.DecorationRole:
            return shown.icon
        if column == SEVERITY and role == Role.ForegroundRole:
            return shown.color
        if role == Role.FontRole:
            return self._bold if shown.row.iid in self._new else None
        if role == Role.BackgroundRole:
            return self._new_background if shown.row.iid in self._new else None
        if role == Role.TextAlignmentRole:
            return RIGHT if column in (EVENTS, INCIDENT) else None
        if role == IID_ROLE:
            return shown.row.iid
        if role == NEW_ROLE:
            return shown.row.iid in self._new
        if role == Role.ToolTipRole:
            return self._tooltip(shown, column)
        return None

    def _tooltip(self, shown: RowLook, column: int) -> str:
        if column == SEVERITY:
            return f"{shown.texts[SEVERITY]} severity"
        if column == STARTED:
            return shown.row.started_at.astimezone().isoformat(timespec="seconds")
        return shown.texts[ALERT] + (" (new)" if shown.row.iid in self._new else "")

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Role.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(COLUMNS):
            return None
        if role == Role.DisplayRole:
            return HEADERS[section]
        if role == Role.InitialSortOrderRole and section in SORT_COLUMNS:
            # Most pressing first: critical, newest, most events, triggered.
            return Qt.SortOrder.DescendingOrder
        return None

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = SORT_COLUMNS.get(column)
        if key is None:
            return
        descending = order == Qt.SortOrder.DescendingOrder
        if (key, descending) != (self._query.sort, self._query.descending):
            self.set_query(replace(self._query, sort=key, descending=descending))
