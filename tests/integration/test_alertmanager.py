"""A real Alertmanager delivers firing and resolved webhooks to `serve`; the incident follows."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from console.queries import list_alerts, list_incidents
from tests.conftest import ServeProcess, add_integration, set_settings
from tests.integration.peers import binary, free_port, wait_for

pytestmark = pytest.mark.integration

CONFIG = """
route:
  receiver: console
  group_by: [alertname]
  group_wait: 1s
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: console
    webhook_configs:
      - url: {url}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: {token}
"""


def start_alertmanager(tmp_path: Path, url: str, token: str) -> tuple[subprocess.Popen[bytes], str]:
    exe = binary("prometheus-alertmanager", "alertmanager")
    config = tmp_path / "alertmanager.yml"
    config.write_text(CONFIG.format(url=url, token=token))
    port = free_port()
    proc = subprocess.Popen(
        [
            exe,
            f"--config.file={config}",
            f"--storage.path={tmp_path / 'am-data'}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--cluster.listen-address=",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "alertmanager.log").open("wb"),
    )
    base = f"http://127.0.0.1:{port}"
    wait_for(
        lambda: httpx.get(f"{base}/-/ready", timeout=1).status_code == 200,
        20,
        "Alertmanager to be ready",
    )
    return proc, base


def am_alert(ends_at: datetime | None = None) -> list[dict[str, object]]:
    now = datetime.now(UTC)
    alert: dict[str, object] = {
        "labels": {
            "alertname": "DiskFull",
            "severity": "warning",
            "instance": "db01:9100",
            "service": "orders",
        },
        "annotations": {
            "summary": "Disk almost full on db01",
            "description": "Less than 5% free on /var",
            "runbook_url": "https://runbooks.example.com/disk",
        },
        "startsAt": (now - timedelta(minutes=1)).isoformat(),
        "generatorURL": "http://127.0.0.1:9090/graph?g0.expr=node_filesystem_free_bytes",
    }
    if ends_at is not None:
        alert["endsAt"] = ends_at.isoformat()
    return [alert]


def test_alertmanager_firing_then_resolved_opens_and_closes_the_incident(tmp_path, db_url, store):
    set_settings(store, create_incident="true")
    server = ServeProcess(db_url)
    endpoint = add_integration(store, server.base, name="alertmanager", kind="prometheus")
    am, am_base = start_alertmanager(tmp_path, endpoint.url, endpoint.token)
    try:
        httpx.post(f"{am_base}/api/v2/alerts", json=am_alert(), timeout=5).raise_for_status()

        def incident_open() -> list[dict[str, object]] | None:
            with store.read() as session:
                found = list_incidents(session)
            return found if found and found[0]["status"] == "open" else None

        [incident] = wait_for(incident_open, 30, "the incident from the firing alert")
        with store.read() as session:
            [alert] = list_alerts(session)
        assert alert.title == "Disk almost full on db01"
        assert alert.severity == "low"  # `warning` maps to low
        assert alert.full_query == "node_filesystem_free_bytes"
        assert alert.hosts == "db01:9100" and alert.monitoring_tool == "Prometheus"
        assert incident["title"] == "Disk almost full on db01"
        assert incident["alert_iids"] == [alert.iid]

        resolved_at = datetime.now(UTC)
        httpx.post(
            f"{am_base}/api/v2/alerts", json=am_alert(resolved_at), timeout=5
        ).raise_for_status()

        def incident_closed() -> list[dict[str, object]] | None:
            with store.read() as session:
                found = list_incidents(session)
            return found if found and found[0]["status"] == "closed" else None

        wait_for(incident_closed, 30, "the incident to close on recovery")
        with store.read() as session:
            [alert] = list_alerts(session)
        assert alert.status == "resolved" and alert.ended_at is not None
        # Alertmanager may repeat notifications; they must never make a second incident.
        with store.read() as session:
            assert len(list_incidents(session)) == 1
    finally:
        am.terminate()
        am.wait(10)
        assert server.stop() == 0
