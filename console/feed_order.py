"""One feed query's order, kept exact while alerts arrive and change, in announced steps.

The order is a numpy array of alert numbers (8 bytes each). `apply` takes the numbers of
alerts that changed, asks the store where each belongs now, and changes the array in
contiguous runs, telling an `OrderObserver` before and after each run: a Qt model must
announce every removal and insertion, with the model consistent between announcements, so
views keep their selection and scroll position across live updates.

New places are found by binary search over the array, comparing sort keys read from the store
by primary key for the probed alerts only (about 20 probes per level, one query per level for
all the alerts being placed), so placing an alert costs the same at row 10 as at row 900,000.
Start time and severity never change once an alert exists; events and status do, so under
those orders a changed alert whose key differs from the one last seen is taken out and put
back where it now belongs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

import numpy as np
from sqlalchemy.orm import Session

from console.feed import FeedQuery, SortKey, keys

MUTABLE_SORTS = frozenset({"events", "status"})
KEY_CACHE_LIMIT = 50_000


class OrderObserver(Protocol):
    """Told about each step of a change, before and after it happens."""

    def removing(self, first: int, last: int) -> None: ...

    def removed(self) -> None: ...

    def inserting(self, first: int, last: int) -> None: ...

    def inserted(self) -> None: ...

    def updated(self, first: int, last: int) -> None: ...


def _runs(positions: Sequence[int]) -> list[tuple[int, int]]:
    """Ascending positions grouped into (first, last) runs of consecutive values."""
    runs: list[tuple[int, int]] = []
    for pos in positions:
        if runs and runs[-1][1] == pos - 1:
            runs[-1] = (runs[-1][0], pos)
        else:
            runs.append((pos, pos))
    return runs


class FeedOrder:
    """The alert numbers of a query in order; `len` counts rows not yet read too.

    Built from a prefix (`known` rows) and a total, it answers `iid_at` with None past the
    prefix until `complete` installs the full order read in the same snapshot.
    """

    def __init__(self, query: FeedQuery, iids: np.ndarray, total: int | None = None) -> None:
        self.query = query
        self._iids = np.asarray(iids, dtype=np.int64)
        self._total = len(self._iids) if total is None else max(total, len(self._iids))
        self._keys: dict[int, SortKey] = {}

    def __len__(self) -> int:
        return self._total

    @property
    def known(self) -> int:
        """How many leading rows are known."""
        return len(self._iids)

    @property
    def is_complete(self) -> bool:
        """Whether every row is known."""
        return len(self._iids) == self._total

    def iid_at(self, row: int) -> int | None:
        """The alert at `row`, or None if that row is not known (yet)."""
        if 0 <= row < len(self._iids):
            return int(self._iids[row])
        return None

    def iids(self, start: int, stop: int) -> list[int]:
        """The known alerts of rows `start` to `stop`."""
        return [int(i) for i in self._iids[max(start, 0) : max(stop, 0)]]

    def positions(self, iids: Sequence[int]) -> dict[int, int]:
        """The rows of those of `iids` that are in the order."""
        if not len(iids) or not len(self._iids):
            return {}
        wanted = np.asarray(list(iids), dtype=np.int64)
        rows = np.flatnonzero(np.isin(self._iids, wanted, kind="table"))
        return {int(self._iids[r]): int(r) for r in rows}

    def remember(self, known: dict[int, SortKey]) -> None:
        """Record sort keys already read (from rows fetched for display)."""
        if len(self._keys) > KEY_CACHE_LIMIT:
            self._keys.clear()
        self._keys.update(known)

    def complete(self, full: np.ndarray, observer: OrderObserver) -> None:
        """Install the full order, read in the snapshot the prefix came from."""
        full = np.asarray(full, dtype=np.int64)
        known = len(self._iids)
        if len(full) > self._total:
            observer.inserting(self._total, len(full) - 1)
            self._iids, self._total = full, len(full)
            observer.inserted()
        elif len(full) < self._total:
            observer.removing(len(full), self._total - 1)
            self._iids, self._total = full, len(full)
            observer.removed()
        else:
            self._iids = full
        if known < len(full):
            observer.updated(known, len(full) - 1)

    # -- live changes -----------------------------------------------------------------------

    def _before(self, a: SortKey, b: SortKey) -> bool:
        return a > b if self.query.descending else a < b

    def _remove(self, rows: Sequence[int], observer: OrderObserver) -> None:
        for first, last in reversed(_runs(sorted(rows))):
            observer.removing(first, last)
            self._iids = np.delete(self._iids, np.s_[first : last + 1])
            self._total -= last - first + 1
            observer.removed()

    def _places(self, session: Session, placing: dict[int, SortKey]) -> list[tuple[int, int]]:
        """Where each alert goes in the current array: (position, iid), in final order.

        Live changes land mostly at one end (a new alert is the newest), so each search
        first looks at the last row, then gallops from the first (rows 0, 1, 3, 7, ...)
        before bisecting: the rows it reads are then the ones on screen, whose keys are
        known, instead of a fresh read of keys at every level of a bisection.
        """
        items = sorted(placing.items(), key=lambda kv: kv[1], reverse=self.query.descending)
        size = len(self._iids)
        lows = [0] * len(items)
        highs = [size] * len(items)
        # The next galloping probe of each search is row 2**k - 1; None once bisecting.
        gallop: list[int | None] = [0] * len(items)
        probes = {j: size - 1 for j in range(len(items))} if size else {}
        while probes:
            probed = {int(self._iids[mid]) for mid in probes.values()}
            missing = [iid for iid in probed if iid not in self._keys]
            if missing:
                self.remember(keys(session, self.query.sort, missing))
            for j, mid in probes.items():
                probe_key = self._keys.get(int(self._iids[mid]))
                # An alert gone from the store sorts nowhere; treat it as coming first.
                if probe_key is None or self._before(probe_key, items[j][1]):
                    lows[j] = mid + 1
                    step = gallop[j]
                    if step is not None and mid != size - 1:
                        gallop[j] = step + 1
                else:
                    highs[j] = mid
                    if mid != size - 1:
                        gallop[j] = None
            probes = {}
            for j in range(len(items)):
                if lows[j] >= highs[j]:
                    continue
                step = gallop[j]
                mid = (1 << step) - 1 if step is not None else -1
                if not lows[j] <= mid < highs[j]:
                    gallop[j] = None
                    mid = (lows[j] + highs[j]) // 2
                probes[j] = mid
        return [(lows[j] + j, iid) for j, (iid, _key) in enumerate(items)]

    def _insert(self, places: list[tuple[int, int]], observer: OrderObserver) -> None:
        runs: list[tuple[int, list[int]]] = []
        for pos, iid in places:
            if runs and runs[-1][0] + len(runs[-1][1]) == pos:
                runs[-1][1].append(iid)
            else:
                runs.append((pos, [iid]))
        for first, members in runs:
            observer.inserting(first, first + len(members) - 1)
            self._iids = np.insert(self._iids, first, np.asarray(members, dtype=np.int64))
            self._total += len(members)
            observer.inserted()

    def apply(self, session: Session, changed: Sequence[int], observer: OrderObserver) -> None:
        """Bring the order up to date with the alerts `changed` (only a complete order)."""
        if not self.is_complete:
            raise RuntimeError("apply changes once the order is complete")
        if not changed:
            return
        states = self.query.states(session, changed)
        present = self.positions(changed)
        mutable = self.query.sort in MUTABLE_SORTS
        leaving: list[int] = []
        staying: list[int] = []
        placing: dict[int, SortKey] = {}
        for iid, row in present.items():
            state = states.get(iid)
            if state is None or not state.member:
                leaving.append(row)
            elif mutable and self._keys.get(iid) != state.key:
                leaving.append(row)
                placing[iid] = state.key
            else:
                staying.append(iid)
        for iid, state in states.items():
            if state.member and iid not in present:
                placing[iid] = state.key
        for iid in changed:
            self._keys.pop(int(iid), None)
        self.remember({iid: state.key for iid, state in states.items()})
        if leaving:
            self._remove(leaving, observer)
        if placing:
            self._insert(self._places(session, placing), observer)
        if staying:
            rows = sorted(self.positions(staying).values())
            for first, last in _runs(rows):
                observer.updated(first, last)
