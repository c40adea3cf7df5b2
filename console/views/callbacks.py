"""Callbacks for work done on other threads that must neither keep nor revive Qt objects.

Writer calls and background reads hold their callbacks until they finish, and release them
on their own thread. A callback that held the last reference to a Qt object would destroy it
there, on the wrong thread; one that ran after its widget was destroyed would touch freed
C++ objects. `weak_done` avoids both: it holds its method weakly and does nothing once the
method's object is gone.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QObject


def alive(method: Callable[..., Any] | None) -> bool:
    """Whether `method` can still be called: its object exists, and so does its Qt side."""
    if method is None:
        return False
    owner = getattr(method, "__self__", None)
    return not isinstance(owner, QObject) or shiboken6.isValid(owner)


def weak_done(
    method: Callable[[Any, BaseException | None], None],
) -> Callable[[Any, BaseException | None], None]:
    """A `done(result, error)` callback that calls `method` only while its object lives."""
    ref = weakref.WeakMethod(method)

    def call(result: Any, error: BaseException | None) -> None:
        target = ref()
        if alive(target):
            assert target is not None
            target(result, error)

    return call
