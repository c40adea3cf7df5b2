"""Moving the listener: `Runtime.rebind`, and the watcher that follows the listen settings."""

from __future__ import annotations

import socket
import time

import httpx
import pytest

from console.runtime import RebindError
from tests.conftest import RunningListener, ServeProcess, add_integration, run_cli, set_settings


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def wait_for(predicate, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


@pytest.fixture
def running(store):
    runtime = RunningListener(store)
    yield runtime
    runtime.stop()


def test_rebind_moves_the_listener_and_alerts_follow(running, store):
    old = running.runtime.listener.url
    port = free_port()
    told: list[str] = []
    running.runtime.moved = told.append
    new = running.background.rebind("127.0.0.1", port).result(10)
    assert new == f"http://127.0.0.1:{port}" == running.runtime.listener.url
    assert told == [new]
    assert answers(new) and not answers(old)
    point = add_integration(store, new)
    answer = httpx.post(point.url, json={"title": "moved"}, headers=point.headers, timeout=5)
    assert answer.status_code == 200, answer.text


def test_a_refused_address_leaves_the_old_listener_running(running):
    old = running.runtime.listener.url
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RebindError) as refused:
            running.background.rebind("127.0.0.1", port).result(10)
    assert f"cannot listen on 127.0.0.1:{port}" in str(refused.value)
    assert f"still listening on {old}" in str(refused.value)
    assert running.runtime.listener.url == old and answers(old)
    # An address this machine does not have (TEST-NET-1) is refused the same way.
    with pytest.raises(RebindError, match=r"cannot listen on 192\.0\.2\.1"):
        running.background.rebind("192.0.2.1", free_port()).result(10)
    assert answers(old)


def test_the_same_port_on_every_address(running):
    port = running.runtime.listener.port
    url = running.background.rebind("0.0.0.0", port).result(10)
    assert url == f"http://0.0.0.0:{port}"
    assert answers(f"http://127.0.0.1:{port}")


def test_the_watcher_follows_a_settings_change(running, store):
    port = free_port()
    set_settings(store, listen_port=str(port))
    assert wait_for(lambda: running.runtime.listener.port == port)
    assert answers(f"http://127.0.0.1:{port}")


def test_the_watcher_reports_a_refused_address(running, store):
    old = running.runtime.listener.url
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        set_settings(store, listen_port=str(taken.getsockname()[1]))
        assert wait_for(lambda: running.runtime.listen_error is not None)
    assert "still listening" in (running.runtime.listen_error or "")
    assert answers(old)


def test_serve_follows_listen_port_set_on_the_command_line(db_url, store):
    serving = ServeProcess(db_url)  # --port 0: the stored default (8842) is not forced on it
    try:
        time.sleep(1.5)  # a few watcher rounds: an unchanged setting must not move it
        assert answers(serving.base)
        port = free_port()
        done = run_cli("settings", "set", "listen_port", str(port), db_url=db_url)
        assert done.returncode == 0, done.stderr
        assert wait_for(lambda: answers(f"http://127.0.0.1:{port}"), timeout=5)
        assert not answers(serving.base)
    finally:
        assert serving.stop() == 0
