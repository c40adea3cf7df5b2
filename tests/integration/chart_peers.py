"""Data sources for chart tests: a real Prometheus scraping itself, and a Grafana stand-in.

Grafana has no package on our registries, so `FakeGrafana` serves the three calls charts make,
shaped as Grafana's HTTP API documents them (errors are `{"message": ...}`), and forwards the
data source proxy call to the real Prometheus.
"""

from __future__ import annotations

import asyncio
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from aiohttp import web

from tests.integration.peers import binary, free_port, wait_for

SELF_SCRAPE = """
global:
  scrape_interval: 1s
scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ["127.0.0.1:{port}"]
"""


@dataclass
class RunningPrometheus:
    url: str
    process: subprocess.Popen[bytes]


def start_prometheus(folder: Path, samples: int = 3) -> RunningPrometheus:
    """Prometheus on 127.0.0.1 scraping itself every second, with `samples` samples of `up`."""
    exe = binary("prometheus")
    port = free_port()
    config = folder / "prometheus.yml"
    config.write_text(SELF_SCRAPE.format(port=port))
    process = subprocess.Popen(
        [
            exe,
            f"--config.file={config}",
            f"--storage.tsdb.path={folder / 'tsdb'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(folder / "prometheus.log").open("wb"),
    )
    url = f"http://127.0.0.1:{port}"

    def scraped() -> bool:
        answer = httpx.get(
            f"{url}/api/v1/query", params={"query": "count_over_time(up[1m])"}, timeout=2
        ).json()
        result = answer["data"]["result"]
        return bool(result) and float(result[0]["value"][1]) >= samples

    try:
        wait_for(scraped, 60, "Prometheus to scrape itself")
    except BaseException:
        process.terminate()
        process.wait(10)
        raise
    return RunningPrometheus(url, process)


def stop_prometheus(prometheus: RunningPrometheus) -> None:
    prometheus.process.terminate()
    prometheus.process.wait(10)


TOKEN = "glsa_test_token"


def dashboard(expr: str, datasource: str = "Prometheus") -> dict[str, Any]:
    """A Grafana dashboard model with one graph panel (id 2) inside a row."""
    return {
        "dashboard": {
            "uid": "svc",
            "title": "Service",
            "panels": [
                {
                    "id": 1,
                    "type": "row",
                    "panels": [
                        {
                            "id": 2,
                            "type": "graph",
                            "title": "Up",
                            "datasource": datasource,
                            "lines": True,
                            "targets": [{"expr": expr, "refId": "A"}],
                        }
                    ],
                },
                {"id": 3, "type": "text", "title": "Notes"},
            ],
            "templating": {"list": [{"name": "job", "type": "custom"}]},
        },
        "meta": {"slug": "service", "url": "/d/svc/service"},
    }


@dataclass
class FakeGrafana:
    """Grafana's dashboard, data source and proxy endpoints on a loop of its own."""

    prometheus: str
    dashboards: dict[str, dict[str, Any]] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/api/dashboards/uid/{uid}", self.get_dashboard)
        app.router.add_get("/api/datasources/name/{name}", self.get_datasource)
        app.router.add_get("/api/datasources/proxy/{id}/api/v1/query_range", self.proxy)
        return app

    def _authorised(self, request: web.Request) -> web.Response | None:
        self.requests.append(request.path_qs)
        if request.headers.get("Authorization") != f"Bearer {TOKEN}":
            return web.json_response({"message": "Unauthorized"}, status=401)
        return None

    async def get_dashboard(self, request: web.Request) -> web.StreamResponse:
        refused = self._authorised(request)
        if refused:
            return refused
        uid = request.match_info["uid"]
        if uid == "moved":
            raise web.HTTPFound("/api/dashboards/uid/svc")
        if uid not in self.dashboards:
            return web.json_response({"message": "Dashboard not found"}, status=404)
        return web.json_response(self.dashboards[uid])

    async def get_datasource(self, request: web.Request) -> web.StreamResponse:
        refused = self._authorised(request)
        if refused:
            return refused
        name = request.match_info["name"]
        if name == "Loki":
            return web.json_response({"id": 2, "name": "Loki", "type": "loki", "access": "proxy"})
        if name != "Prometheus":
            return web.json_response({"message": "Data source not found"}, status=404)
        return web.json_response(
            {
                "id": 1,
                "uid": "PBFA97CFB590B2093",
                "orgId": 1,
                "name": "Prometheus",
                "type": "prometheus",
                "access": "proxy",
                "url": self.prometheus,
                "isDefault": True,
            }
        )

    async def proxy(self, request: web.Request) -> web.StreamResponse:
        refused = self._authorised(request)
        if refused:
            return refused
        if request.match_info["id"] != "1":
            return web.json_response({"message": "Data source not found"}, status=404)
        async with httpx.AsyncClient(timeout=10) as client:
            answer = await client.get(
                f"{self.prometheus}/api/v1/query_range", params=dict(request.query)
            )
        return web.Response(
            body=answer.content, status=answer.status_code, content_type="application/json"
        )


def run_grafana(grafana: FakeGrafana) -> Iterator[FakeGrafana]:
    """Serve `grafana` on a free port from a thread until the generator is closed."""
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(grafana.app())
    port = free_port()

    async def start() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(start(), loop).result(10)
    grafana.url = f"http://127.0.0.1:{port}"
    try:
        yield grafana
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
