"""The window's collector schedule: short young passes, the full pass from a timer only."""

from __future__ import annotations

import gc
import weakref

import pytest

from console.views import collector
from console.views.collector import ScheduledCollector


class Node:
    """Something that can sit in a reference cycle."""

    def __init__(self) -> None:
        self.other: Node | None = None


@pytest.fixture
def scheduled(qtbot):
    before = gc.get_threshold()
    made = ScheduledCollector(interval_ms=50)
    yield made
    made.stop()
    gc.unfreeze()
    assert gc.get_threshold() == before


def make_cycle() -> weakref.ref[Node]:
    first, second = Node(), Node()
    first.other, second.other = second, first
    return weakref.ref(first)


def test_the_full_pass_runs_only_from_the_timer(scheduled):
    young, _middle, full = gc.get_threshold()
    assert young == collector.YOUNG_THRESHOLD
    assert full == collector.NEVER
    assert gc.get_freeze_count() > 0  # what existed at the start is out of the passes


def test_the_timer_frees_garbage_cycles(qtbot, scheduled):
    gc.disable()  # only the scheduled pass may free it
    try:
        cycle = make_cycle()
        assert cycle() is not None
        qtbot.waitUntil(lambda: cycle() is None, timeout=2000)
    finally:
        gc.enable()
    assert scheduled.full_passes >= 1


def test_stop_gives_python_its_own_schedule_back(qtbot):
    before = gc.get_threshold()
    made = ScheduledCollector(interval_ms=10)
    made.stop()
    gc.unfreeze()
    assert gc.get_threshold() == before
    passes = made.full_passes
    qtbot.wait(50)
    assert made.full_passes == passes
