"""Render the console's views with sample data and save PNGs to docs/screenshots/.

Run under an X server (a virtual one is fine):

    Xvfb :99 -screen 0 1920x1080x24 &
    DISPLAY=:99 QT_QPA_PLATFORM=xcb python tools/screenshots.py

Without DISPLAY the script starts Xvfb itself when it is installed. The sample store is a
temporary SQLite file filled through the real listener, so incidents carry the summaries
and notes the pipeline writes; a history of resolved alerts over the last hour feeds the
wall's rate chart. `--scale 2` renders the wall alone at a device pixel ratio of 2, as on a
4K screen at 200 % (start Xvfb with `-screen 0 3840x2160x24` for it, or let the script).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import httpx

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from console.store import Store
    from console.views.context import ViewContext

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
sys.path.insert(0, str(ROOT))

ALERTS = [
    ("Database primary unreachable", "critical", "postgres", "db-1", "Prometheus"),
    ("Checkout API error rate above 5%", "critical", "checkout", "api-3", "Prometheus"),
    ("Disk 91% full on /var", "high", "storage", "web-2", "node_exporter"),
    ("Certificate expires in 6 days", "medium", "edge", "lb-1", "blackbox"),
    ("Replication lag 45 s", "high", "postgres", "db-2", "Prometheus"),
    ("Queue depth growing", "medium", "billing", "worker-4", "Prometheus"),
    ("NTP drift above 100 ms", "low", "infra", "web-5", "node_exporter"),
    ("Nightly backup took 2 h", "info", "backup", "bk-1", "cron"),
]

TEMPLATE = """### Impact

| Area | Status | Owner |
|------|--------|-------|
| Checkout | degraded | @alice |
| Search | normal | — |

### Checklist

- [x] Page the database on-call
- [x] Freeze deploys
- [ ] Fail over to db-2
- [ ] Write the post-incident review

### Load on the primary

http://prometheus.example:9090/graph?g0.expr=rate(pg_stat_database_xact_commit[5m])&g0.range_input=1h

```sql
SELECT pid, state, wait_event FROM pg_stat_activity WHERE state <> 'idle';
```

Runbook: https://runbooks.example.com/postgres/primary-down — raw HTML such as
<b onclick="x()">this</b> is shown as text.
"""


SAMPLE_PROMETHEUS = "http://prometheus.example:9090"


class _SampleSeries(BaseHTTPRequestHandler):
    """Answers `query_range` with two made-up series (commits per second on two databases),
    so the screenshots show a drawn chart; nothing else is answered."""

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path != "/api/v1/query_range" or not {"start", "end", "step"} <= query.keys():
            self.send_error(404)
            return
        start, end, step = float(query["start"]), float(query["end"]), float(query["step"])
        times = [start + i * step for i in range(int((end - start) / step) + 1)]

        def series(instance: str, base: float, phase: float) -> dict[str, object]:
            def value(t: float) -> str:
                wave = 40 * math.sin((t - start) / 400 + phase) + 15 * math.sin(t / 97)
                return f"{base + wave:.1f}"

            values = [[t, value(t)] for t in times]
            return {"metric": {"instance": instance, "job": "postgres"}, "values": values}

        body = {
            "status": "success",
            "data": {
                "resultType": "matrix",
                "result": [series("db-1:9187", 180, 0.0), series("db-2:9187", 120, 1.3)],
            },
        }
        data = json.dumps(body).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return  # quiet


def sample_prometheus() -> tuple[ThreadingHTTPServer, str]:
    """A local stand-in answering the charts of the sample incident; (server, base URL)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _SampleSeries)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}"


def ensure_display(scale: float) -> subprocess.Popen[bytes] | None:
    """Start Xvfb on :99 when there is no display and Xvfb is installed."""
    if os.environ.get("DISPLAY") or os.environ.get("QT_QPA_PLATFORM") == "offscreen":
        return None
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        sys.exit("no DISPLAY and no Xvfb: run under an X server")
    size = f"{int(1920 * scale)}x{int(1080 * scale)}x24"  # scale 2: a 4K screen
    server = subprocess.Popen([xvfb, ":99", "-screen", "0", size, "-nolisten", "tcp"])
    os.environ["DISPLAY"] = ":99"
    time.sleep(1.0)  # Xvfb has no readiness signal on its command line
    return server


def fill_history(store: Store, count: int) -> None:
    """Resolved alerts over the last hour (numbers rise with time, as the writer assigns)."""
    from console.models import Alert, utcnow

    now = utcnow()
    with store.write() as session:
        for n in range(1, count + 1):
            minutes_ago = 60 - n * 60 / count
            burst = 1 if 25 < minutes_ago < 32 else 0
            created = now - timedelta(minutes=minutes_ago, seconds=burst)
            session.add(
                Alert(
                    iid=n,
                    title=f"History {n}",
                    status="resolved",
                    severity=("high", "low", "medium", "critical")[n % 4],
                    started_at=created,
                    created_at=created,
                    ended_at=created,
                    fingerprint=None,
                )
            )


def post_alerts(base: str, path: str, token: str) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    with httpx.Client(timeout=10) as client:
        for title, severity, service, host, tool in ALERTS:
            body = {
                "title": title,
                "severity": severity,
                "service": service,
                "hosts": host,
                "monitoring_tool": tool,
                "description": f"{title} (sample)",
                "fingerprint": title,
                "runbook": "https://runbooks.example.com/" + service,
            }
            client.post(base + path, json=body, headers=headers).raise_for_status()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="device pixel ratio")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    xvfb = ensure_display(args.scale)
    os.environ.setdefault("QT_QPA_PLATFORM", "xcb")
    if args.scale != 1.0:
        os.environ["QT_SCALE_FACTOR"] = str(args.scale)
    suffix = "" if args.scale == 1.0 else f"@{args.scale:g}x"
    try:
        render(args.out, suffix, wall_only=args.scale != 1.0)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(10)
    return 0


def render(out: Path, suffix: str, *, wall_only: bool = False) -> None:
    from PySide6.QtWidgets import QApplication

    from console.admin import integrations, settings
    from console.engine import incident_edits as edits
    from console.engine import lifecycle
    from console.runtime import BackgroundRuntime, Runtime
    from console.store import open_store
    from console.views.actions import ActionRunner
    from console.views.context import ViewContext
    from console.views.incident_view import IncidentView
    from console.views.live_updates import LiveUpdates
    from console.views.theme import apply_theme
    from console.views.wall import WallWindow

    app = QApplication.instance() or QApplication([sys.argv[0]])
    assert isinstance(app, QApplication)
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="console-shots-"))
    store = open_store(f"sqlite:///{folder / 'store.db'}")
    fill_history(store, 140)
    prometheus, prometheus_url = sample_prometheus()
    with store.write() as session:
        settings.set_setting(session, "create_incident", "true")
        settings.set_setting(session, "prometheus_urls", prometheus_url)
        created = integrations.create(session, "Prometheus", "prometheus")
        path, token = created.integration.url_path, created.token
    updates = LiveUpdates()
    runtime = Runtime(store, host="127.0.0.1", port=0, on_commit=updates.push)
    background = BackgroundRuntime(runtime)
    background.start()
    try:
        post_alerts(runtime.listener.url, path, token)
        first = 141  # the first posted alert and its incident #1
        with store.write() as session:
            summary = lifecycle.get_incident(session, 1).description
            template = TEMPLATE.replace(SAMPLE_PROMETHEUS, prometheus_url)
            edits.edit_description(session, 1, f"{summary}\n\n---\n\n{template}", "alice")
            edits.set_labels(session, 1, ["incident", "database", "sev1"], "alice")
            edits.set_assignees(session, 1, ["alice", "bob"], "alice")
            edits.add_note(session, 1, "Paged **@bob**; primary is not answering on 5432.", "alice")
            edits.add_note(session, 1, "Failover started, see `pg_ctl promote` log.", "bob")
            lifecycle.set_alert_status(session, first + 2, "acknowledged", "carol")
            lifecycle.set_alert_status(session, first + 4, "acknowledged", "carol")
            lifecycle.close_incident(session, 8, "dave")
        ctx = ViewContext(store, ActionRunner(runtime.writer), updates, runtime.listener, "alice")

        for theme in () if wall_only else ("light", "dark"):
            dark = apply_theme(app, theme)
            view = IncidentView(ctx)
            view.set_dark(dark)
            view.resize(1400, 900)
            view.show()
            view.show_incident(1)
            settle(app)
            view.grab().save(str(out / f"incident-view-{theme}{suffix}.png"))
            view.close()

        apply_theme(app, "dark")
        if not wall_only:
            shoot_list_and_banner(app, ctx, out, suffix)
            shoot_main_window(app, ctx, out, suffix, first)
        wall = WallWindow(ctx)
        wall.show_on(0)
        runtime.listener.last_alert_at = time.time() - 12
        settle(app, 1.5)
        wall.refresh_chart()
        settle(app, 1.0)
        wall.grab().save(str(out / f"wall{suffix}.png"))
        wall.close()
        settle(app)
    finally:
        background.stop()
        prometheus.shutdown()
        store.dispose()
        shutil.rmtree(folder, ignore_errors=True)
    for png in sorted(out.glob(f"*{suffix}.png")):
        print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)


def shoot_list_and_banner(app: QApplication, ctx: ViewContext, out: Path, suffix: str) -> None:
    """The incident list (all states) and the new-incident banner."""
    from console.views.incident_list import IncidentListWidget
    from console.views.notifications import IncidentNotifier

    listing = IncidentListWidget(ctx)
    listing.tabs.setCurrentIndex(2)
    listing.resize(1200, 420)
    listing.show()
    settle(app)
    listing.grab().save(str(out / f"incident-list{suffix}.png"))
    listing.close()

    notifier = IncidentNotifier(ctx, tray_available=lambda: False)
    notifier.banner.resize(900, 40)
    notifier.banner.show_incident(3, "New incident #3 (▲ high) — Disk 91% full on /var")
    settle(app)
    notifier.banner.grab().save(str(out / f"notification-banner{suffix}.png"))
    notifier.banner.close()


def shoot_main_window(
    app: QApplication, ctx: ViewContext, out: Path, suffix: str, alert_iid: int
) -> None:
    """The main window on the alert feed, with one alert open in the detail."""
    from console.views.main_window import MainWindow

    window = MainWindow(ctx)
    window.resize(1600, 950)
    window.show()
    window.open_alert(alert_iid)
    settle(app, 1.0)
    window.grab().save(str(out / f"main-window{suffix}.png"))
    window.alert_detail.grab().save(str(out / f"alert-detail{suffix}.png"))
    window.close()


def settle(app: QApplication, seconds: float = 0.5) -> None:
    """Let Qt lay out, paint and deliver queued signals for a moment."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.02)


if __name__ == "__main__":
    sys.exit(main())
