"""A second launch hands its link to the running console, which opens the incident."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid

from console.views.single_instance import InstanceServer, forward, instance_name
from tests.conftest import ConsoleProcess, set_settings


def test_forward_reaches_the_running_instance(qtbot):
    name = f"incident-console-test-{uuid.uuid4().hex[:8]}"
    server = InstanceServer(name)
    assert server.listening
    with qtbot.waitSignal(server.received, timeout=5000) as blocker:
        assert forward(name, "incident-console://incident/4")
    assert blocker.args == ["incident-console://incident/4"]
    server.close()
    assert not forward(name, "incident-console://incident/4")


def test_instance_names_differ_per_store():
    assert instance_name("sqlite:////a.db") != instance_name("sqlite:////b.db")


def test_second_launch_hands_its_link_to_the_first(tmp_path, store, db_url):
    set_settings(store, create_incident="true")
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    first = ConsoleProcess(db_url)
    try:
        second = subprocess.run(
            [sys.executable, "-m", "console", "incident-console://incident/1", "--db", db_url],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
        assert second.returncode == 0, second.stderr
        assert "Handed to the console already running" in second.stdout
        assert first.stdout.readline().strip() == "Opening incident-console://incident/1"
        bad = subprocess.run(
            [sys.executable, "-m", "console", "incident-console://nowhere", "--db", db_url],
            capture_output=True,
            text=True,
            env=env,
            timeout=30,
            check=False,
        )
        assert bad.returncode == 2 and "not a link" in bad.stderr
    finally:
        assert first.stop() == 0  # SIGTERM: a clean exit
