"""One-line text for subjects, chat heads and table rows."""

from __future__ import annotations

import pytest

from console.text import one_line


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Disk almost full", "Disk almost full"),
        ("Disk\nalmost\tfull", "Disk almost full"),
        ("  Disk   almost full \r\n", "Disk almost full"),
        ("Disk\u00a0full", "Disk full"),
        ("", ""),
        ("ünïcode title", "ünïcode title"),
    ],
)
def test_one_line(text, expected):
    assert one_line(text) == expected
