"""`serve` killed with SIGKILL under load, again and again: nothing it acknowledged is lost.

Load threads post new alerts, repeats and recoveries and record every 2xx. After each kill
the server is restarted on the same store. At the end every acknowledged alert and event is
in the store, SQLite's integrity check passes, no fingerprint has two open alerts, and an
alert that never recovered has exactly one alert row and one incident. The same holds for
`serve --workers 2`, whose two processes share the store and are killed together.
"""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

import httpx
import pytest

from tests.conftest import ServeProcess, add_integration, children, set_settings

pytestmark = pytest.mark.integration

ROUNDS = 12
THREADS = 6
STEADY = 40  # fingerprints that only ever fire (repeats must dedup across crashes)


@dataclass
class Ledger:
    """Everything the server acknowledged, as the senders saw it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    acked: list[tuple[str, str, int]] = field(default_factory=list)  # (fingerprint, outcome, iid)
    errors: list[str] = field(default_factory=list)

    def add(self, fingerprint: str, outcome: str, iid: int) -> None:
        with self.lock:
            self.acked.append((fingerprint, outcome, iid))


def load(url: str, token: str, stop: threading.Event, ledger: Ledger, seed: int) -> None:
    rng = random.Random(seed)
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=5) as client:
        while not stop.is_set():
            roll = rng.random()
            if roll < 0.5:
                fp = f"steady-{rng.randrange(STEADY)}"
                body: dict[str, object] = {"title": f"Steady {fp}", "fingerprint": fp}
            elif roll < 0.8:
                fp = f"flap-{rng.randrange(10)}"
                body = {"title": f"Flapping {fp}", "fingerprint": fp}
            else:
                fp = f"flap-{rng.randrange(10)}"
                body = {"fingerprint": fp, "end_time": "2026-11-29T12:00:00Z"}
            try:
                response = client.post(url, json=body, headers=headers)
            except httpx.HTTPError:
                return  # the server was killed
            if response.status_code == 200:
                [result] = response.json()
                ledger.add(fp, result["outcome"], result["iid"])
            elif response.status_code not in (409, 503):
                ledger.errors.append(f"{response.status_code} {response.text}")


def crash(server: ServeProcess) -> None:
    """SIGKILL for `serve` and, with `--workers`, for every worker at the same moment (the
    supervisor is frozen first, so it cannot start a worker again in between)."""
    workers = children(server.proc.pid)
    if workers:
        server.proc.send_signal(signal.SIGSTOP)
    for pid in workers:
        os.kill(pid, signal.SIGKILL)
    server.proc.send_signal(signal.SIGKILL)
    server.proc.wait(10)


@pytest.mark.parametrize("workers", [1, 2], ids=["one-process", "two-workers"])
def test_sigkill_under_load_loses_nothing_acknowledged(db_url, store, tmp_path, workers):
    set_settings(store, create_incident="true")
    endpoint = add_integration(store, "http://unused", name="crash")
    ledger = Ledger()
    rng = random.Random(20261129)
    for round_no in range(ROUNDS):
        server = ServeProcess(db_url, "--workers", str(workers))
        stop = threading.Event()
        threads = [
            threading.Thread(
                target=load,
                args=(
                    server.base + endpoint.path,
                    endpoint.token,
                    stop,
                    ledger,
                    round_no * 100 + n,
                ),
            )
            for n in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(rng.uniform(0.3, 1.2))
        crash(server)
        stop.set()
        for thread in threads:
            thread.join(10)
    assert not ledger.errors, ledger.errors[:3]
    assert len(ledger.acked) > 500, "the load was too light to mean anything"

    db = db_url.removeprefix("sqlite:///")
    conn = sqlite3.connect(db)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        alerts = {
            iid: (fp, status, events, incident)
            for iid, fp, status, events, incident in conn.execute(
                "SELECT iid, fingerprint, status, events, incident_iid FROM alerts"
            )
        }
        event_counts = Counter(iid for (iid,) in conn.execute("SELECT alert_iid FROM alert_events"))
        open_dupes = conn.execute(
            "SELECT fingerprint FROM alerts WHERE status != 'resolved' "
            "GROUP BY fingerprint HAVING count(*) > 1"
        ).fetchall()
        incidents_per_alert = conn.execute(
            "SELECT count(*) FROM incidents i LEFT JOIN alerts a ON a.incident_iid = i.iid "
            "WHERE a.iid IS NULL"
        ).fetchone()[0]
    finally:
        conn.close()

    fingerprint_hash = {}
    import hashlib

    acked_events = Counter()
    for fp, outcome, iid in ledger.acked:
        fingerprint_hash[fp] = hashlib.sha1(fp.encode()).hexdigest()
        assert iid in alerts, f"acknowledged alert #{iid} ({outcome}) is missing"
        assert alerts[iid][0] == fingerprint_hash[fp]
        acked_events[iid] += 1
        if outcome == "resolved":
            assert alerts[iid][1] == "resolved"
    for iid, count in acked_events.items():
        assert event_counts[iid] >= count, (
            f"alert #{iid}: {count} acknowledged events, fewer stored"
        )
        assert alerts[iid][2] == event_counts[iid], f"alert #{iid}: event counter out of step"
    assert open_dupes == []
    assert incidents_per_alert == 0, "an incident without its alert"
    for n in range(STEADY):
        digest = hashlib.sha1(f"steady-{n}".encode()).hexdigest()
        rows = [a for a in alerts.values() if a[0] == digest]
        if rows:
            assert len(rows) == 1, f"steady-{n} became {len(rows)} alerts"
            assert rows[0][3] is not None, f"steady-{n} has no incident"
