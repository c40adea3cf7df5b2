"""Store URLs the console cannot use get a one-line error, never a traceback."""

from __future__ import annotations

import pytest

from console.store import StoreError, open_store
from tests.conftest import run_cli


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///:memory:"])
def test_an_in_memory_sqlite_store_is_refused_clearly(url):
    with pytest.raises(StoreError, match="in-memory SQLite store cannot be shared"):
        open_store(url)


@pytest.mark.parametrize("url", ["sqlite://", "nosuchdb://x/y"])
def test_the_command_line_says_why_in_one_line(url):
    done = run_cli("alerts", "list", db_url=url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("incident-console: error: ")
    assert len(done.stderr.strip().splitlines()) == 1
