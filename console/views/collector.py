"""When the window's garbage collector runs, so that it never stalls a paint.

Python's collector runs whenever enough container objects were made, on whatever thread
made them: in the window, in the middle of a paint of the feed, which makes objects for
every page of rows it reads. Its full passes walk every object alive (several ms) and its
middle passes grew to ~5 ms, enough to push a scroll step of a million-row feed past a
frame at 60 Hz.

So, once the window is up: what exists then is frozen out of the collector for good
(it lives as long as the app); the young passes run more often over fewer objects, each
well under a millisecond or two; and the full pass runs from a timer, between events,
instead of inside whichever paint happened to allocate. Garbage cycles are still freed:
the young passes free most, and the full pass frees the rest every few seconds.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

YOUNG_THRESHOLD = 300  # Python's default is 700: passes over fewer objects, each shorter
NEVER = 2**31 - 1  # as the full pass's threshold: it runs from the timer only
FULL_PASS_MS = 5000


class ScheduledCollector(QObject):
    """Freezes what exists, keeps the young passes short, and runs the full pass on a timer.

    `stop` (also called when the object is destroyed with its parent) restores Python's
    own schedule.
    """

    def __init__(self, parent: QObject | None = None, interval_ms: int = FULL_PASS_MS) -> None:
        super().__init__(parent)
        self._saved = saved = gc.get_threshold()
        gc.collect()
        gc.freeze()
        gc.set_threshold(YOUNG_THRESHOLD, self._saved[1], NEVER)
        self.full_passes = 0
        self._timer = QTimer(self)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self.collect)
        self._timer.start()
        self.destroyed.connect(lambda: gc.set_threshold(*saved))

    def collect(self) -> int:
        """Run a full pass now; returns how many unreachable objects it found."""
        self.full_passes += 1
        return gc.collect()

    def stop(self) -> None:
        """Back to Python's own schedule (the frozen objects stay frozen)."""
        self._timer.stop()
        gc.set_threshold(*self._saved)
