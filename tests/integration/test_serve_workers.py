"""`serve --workers N`: several listener processes on one address and one store."""

from __future__ import annotations

import os
import signal
import threading
import time

import httpx
import pytest

from console.admin import metrics as metrics_admin
from console.models import Alert, AlertEvent
from tests.conftest import ServeProcess, add_integration, children, run_cli, set_settings
from tests.integration.chart_peers import start_prometheus, stop_prometheus
from tests.unit.test_runtime_rebind import answers, free_port, wait_for

pytestmark = pytest.mark.integration


def gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:  # a zombie of ours counts as gone once reaped
            if os.waitpid(pid, os.WNOHANG)[0] == pid:
                return True
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def metric(text: str, name: str) -> float:
    return sum(float(row.rsplit(" ", 1)[1]) for row in text.splitlines() if row.startswith(name))


@pytest.fixture
def workers(db_url, store):
    server = ServeProcess(db_url, "--workers", "2")
    yield server
    for pid in children(server.proc.pid):
        os.kill(pid, signal.SIGKILL)
    server.kill()


def test_workers_share_the_load_and_deduplicate_across_processes(workers, store):
    endpoint = add_integration(store, workers.base, name="storm")
    assert len(children(workers.proc.pid)) == 2
    fingerprints = [f"fp-{n}" for n in range(15)]
    statuses: list[int] = []
    lock = threading.Lock()

    def sender() -> None:
        # A client per thread: each holds its own connections, spread over both workers.
        with httpx.Client(timeout=10) as client:
            for _ in range(4):
                for fp in fingerprints:
                    response = client.post(
                        workers.base + endpoint.path,
                        json={"title": fp, "fingerprint": fp},
                        headers={"Authorization": f"Bearer {endpoint.token}"},
                    )
                    with lock:
                        statuses.append(response.status_code)

    threads = [threading.Thread(target=sender) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert statuses == [200] * (8 * 4 * len(fingerprints))
    with store.read() as session:
        assert session.query(Alert).count() == len(fingerprints)
        assert session.query(AlertEvent).count() == len(statuses)
        assert {a.events for a in session.query(Alert)} == {8 * 4}

    # Whichever worker answers the scrape, it counts both workers' alerts.
    time.sleep(1.2)  # each worker publishes its counts at least once a second
    name = "incident_console_alerts_received_total"
    for _ in range(4):
        text = httpx.get(f"{workers.base}/metrics", timeout=10).text
        assert metric(text, name) == len(statuses)
        # Every batch was written under the workers' lock, and the time is counted.
        assert metric(text, "incident_console_write_lock_held_seconds_total") > 0
        assert metric(text, "incident_console_wal_sync_seconds_total") > 0


def test_only_one_worker_evaluates_alert_rules(db_url, store, tmp_path):
    # A breached rule raised by both workers would be one alert with two events (the second
    # a repeat); raised by worker 0 alone it is one alert with one event.
    (tmp_path / "prometheus").mkdir()
    prometheus = start_prometheus(tmp_path / "prometheus")
    try:
        set_settings(store, prometheus_urls=prometheus.url)
        with store.write() as session:
            metrics_admin.add_rule(session, "up", "==", 1, severity="high")
        server = ServeProcess(db_url, "--workers", "2")
        try:

            def both_serving() -> bool:
                try:
                    body = httpx.get(f"{server.base}/healthz", timeout=5).json()
                except httpx.HTTPError:
                    return False
                return len(body.get("workers", [])) == 2

            def raised() -> bool:
                with store.read() as session:
                    return session.query(Alert).count() > 0

            assert wait_for(both_serving, 30)
            assert wait_for(raised, 30)
            time.sleep(3)  # time for a second evaluator, had one started, to run its first pass
            with store.read() as session:
                rows = [(a.title, a.severity, a.events) for a in session.query(Alert)]
                assert rows == [("up == 1 for 0s", "high", 1)]
                assert session.query(AlertEvent).count() == 1
        finally:
            for pid in children(server.proc.pid):
                os.kill(pid, signal.SIGKILL)
            server.kill()
    finally:
        stop_prometheus(prometheus)


def test_healthz_lists_every_worker_whichever_answers(workers):
    pids = sorted(children(workers.proc.pid))
    for _ in range(4):  # new connections: answered by either worker
        body = httpx.get(f"{workers.base}/healthz", timeout=10).json()
        assert body["status"] == "ok"
        listed = body["workers"]
        assert [w["worker"] for w in listed] == [0, 1]
        assert sorted(w["pid"] for w in listed) == pids
        assert all(w["address"] == workers.base and w["writer_running"] for w in listed)


def test_sigterm_stops_every_worker_and_exits_0(workers):
    pids = children(workers.proc.pid)
    assert len(pids) == 2
    assert workers.stop(timeout=30) == 0
    assert all(gone(pid) for pid in pids)
    out = workers.stdout.read()
    assert "Stopping: finishing requests and committing accepted alerts" in out


def test_workers_end_when_the_supervisor_is_killed(workers):
    pids = children(workers.proc.pid)
    workers.proc.send_signal(signal.SIGKILL)
    workers.proc.wait(10)
    assert all(gone(pid) for pid in pids)


def test_a_worker_that_dies_is_started_again(workers, store):
    endpoint = add_integration(store, workers.base, name="again")
    [_first, second] = children(workers.proc.pid)
    os.kill(second, signal.SIGKILL)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        now = children(workers.proc.pid)
        if len(now) == 2 and second not in now:
            break
        time.sleep(0.1)
    else:
        pytest.fail("the dead worker was not started again")
    for n in range(10):  # new connections reach both workers, and all are answered
        response = httpx.post(
            workers.base + endpoint.path,
            json={"title": "after", "fingerprint": f"after-{n}"},
            headers={"Authorization": f"Bearer {endpoint.token}"},
            timeout=10,
        )
        assert response.status_code == 200


@pytest.mark.parametrize("count", ["0", "-1", "65"])
def test_a_worker_count_out_of_range_is_refused(db_url, store, count):
    done = run_cli("serve", "--port", "0", "--workers", count, db_url=db_url)
    assert done.returncode == 1
    assert "--workers must be between 1 and 64" in done.stderr


def test_the_supervisors_own_flags_are_refused_without_their_partner(db_url, store):
    done = run_cli("serve", "--port", "0", "--worker-index", "0", db_url=db_url)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "--worker-index is given by `serve --workers`, with --worker-dir" in done.stderr


def test_workers_need_a_sqlite_store():
    from types import SimpleNamespace

    from console.cli import CliError, _supervise_workers

    postgres = SimpleNamespace(sqlite_path=None, url="postgresql+psycopg://db/console")
    with pytest.raises(CliError, match="needs a SQLite store"):
        _supervise_workers(postgres, "127.0.0.1", 8842, 2)  # type: ignore[arg-type]


def test_a_port_taken_by_another_program_is_refused_clearly(db_url, store):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = run_cli("serve", "--port", str(port), "--workers", "2", db_url=db_url)
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr


def test_every_worker_follows_listen_port_set_on_the_command_line(workers, db_url):
    port = free_port()
    done = run_cli("settings", "set", "listen_port", str(port), db_url=db_url)
    assert done.returncode == 0, done.stderr
    moved = f"http://127.0.0.1:{port}"
    assert wait_for(lambda: answers(moved), timeout=5)
    # Both workers moved: new connections, spread over them, all reach the new port...
    assert all(answers(moved) for _ in range(10))
    assert wait_for(lambda: not answers(workers.base), timeout=5)
    # ...and the supervisor says where the listener is now, once.
    assert workers.stop(timeout=30) == 0
    out = workers.stdout.read()
    assert out.count(f"listening on {moved}") == 1


def test_signals_in_quick_succession_still_stop_it_cleanly(workers):
    pids = children(workers.proc.pid)
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGTERM, signal.SIGTERM, signal.SIGINT):
        workers.proc.send_signal(sig)
    assert workers.proc.wait(30) == 0
    assert all(gone(pid) for pid in pids)
