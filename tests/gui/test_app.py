"""The desktop process: ingestion never waits on the window, and the window exits cleanly."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time

import httpx
from PySide6.QtCore import QTimer

from tests.conftest import FORMATS, ConsoleProcess, add_integration

POSTER = """
import json, sys, time, httpx
url, token = sys.argv[1], sys.argv[2]
timings = []
with httpx.Client(timeout=5) as client:
    sys.stdin.readline()  # go
    deadline = time.monotonic() + 1.6
    n = 0
    while time.monotonic() < deadline:
        n += 1
        t0 = time.perf_counter()
        r = client.post(url, headers={"Authorization": "Bearer " + token},
                        json={"title": "during block %d" % n, "fingerprint": str(n)})
        timings.append((r.status_code, time.perf_counter() - t0))
        time.sleep(0.02)
print(json.dumps(timings))
"""


def test_posts_are_answered_while_the_gui_thread_is_busy(qtbot, qapp, ctx, gui_endpoint):
    """The GUI thread spins in Python for 2 s; every POST, from another process as
    Alertmanager's would be, is still answered within 200 ms."""
    poster = subprocess.Popen(
        [sys.executable, "-c", POSTER, gui_endpoint.url, gui_endpoint.token],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert poster.stdin is not None and poster.stdout is not None

    def block_gui() -> None:
        poster.stdin.write("go\n")
        poster.stdin.flush()
        end = time.monotonic() + 2.0
        while time.monotonic() < end:  # busy Python, holding the GIL as heavy view code would
            sum(range(1000))

    blocked: list[bool] = []
    QTimer.singleShot(0, lambda: (block_gui(), blocked.append(True)))
    qtbot.waitUntil(lambda: bool(blocked), timeout=10_000)
    results = json.loads(poster.communicate(timeout=10)[0])
    assert len(results) >= 10
    assert {status for status, _ in results} == {200}
    slowest = max(seconds for _, seconds in results)
    assert slowest < 0.2, f"slowest POST took {slowest * 1000:.0f} ms"


def test_window_process_exits_cleanly_on_sigterm(tmp_path, store, db_url):
    window = ConsoleProcess(db_url)
    try:
        endpoint = add_integration(store, window.base, name="window")
        response = httpx.post(
            endpoint.url,
            headers=endpoint.headers,
            timeout=10,
            content=(FORMATS / "generic-alert.json").read_bytes(),
        )
        assert response.status_code == 200
        started = time.monotonic()
        window.proc.send_signal(signal.SIGTERM)
        assert window.proc.wait(10) == 0
        assert time.monotonic() - started < 10
    finally:
        window.kill()
