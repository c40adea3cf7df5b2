"""A real Prometheus scrapes `serve`'s /metrics: the console can itself be monitored."""

from __future__ import annotations

import subprocess

import httpx
import pytest

from tests.conftest import FORMATS, ServeProcess, add_integration
from tests.integration.peers import binary, free_port, wait_for

pytestmark = pytest.mark.integration

CONFIG = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: incident-console
    static_configs:
      - targets: ["{target}"]
"""


def test_prometheus_scrapes_listener_metrics(tmp_path, db_url, store):
    server = ServeProcess(db_url)
    endpoint = add_integration(store, server.base, name="scraped")
    exe = binary("prometheus")
    config = tmp_path / "prometheus.yml"
    config.write_text(CONFIG.format(target=server.base.removeprefix("http://")))
    port = free_port()
    prom = subprocess.Popen(
        [
            exe,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp_path / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(tmp_path / "prometheus.log").open("wb"),
    )
    api = f"http://127.0.0.1:{port}/api/v1/query"
    try:
        with httpx.Client(timeout=10) as client:
            for _ in range(3):
                response = client.post(
                    endpoint.url,
                    headers=endpoint.headers,
                    content=(FORMATS / "generic-alert.json").read_bytes(),
                )
                assert response.status_code == 200

        def received() -> dict[str, float] | None:
            answer = httpx.get(
                api, params={"query": "incident_console_alerts_received_total"}, timeout=2
            ).json()
            series = answer["data"]["result"]
            found = {
                s["metric"]["outcome"]: float(s["value"][1])
                for s in series
                if s["metric"].get("integration") == "scraped"
            }
            return found if found.get("repeated") == 2 else None

        values = wait_for(received, 30, "Prometheus to scrape the alert counters")
        assert values == {"created": 1.0, "repeated": 2.0}

        def histogram_count() -> float | None:
            answer = httpx.get(
                api, params={"query": "incident_console_ingest_latency_seconds_count"}, timeout=2
            ).json()
            series = answer["data"]["result"]
            return float(series[0]["value"][1]) if series else None

        assert wait_for(histogram_count, 10, "the latency histogram") >= 3
        up = httpx.get(api, params={"query": 'up{job="incident-console"}'}, timeout=2).json()
        assert up["data"]["result"][0]["value"][1] == "1"
    finally:
        prom.terminate()
        prom.wait(10)
        server.stop()
