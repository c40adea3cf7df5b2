"""Feed benchmark on a big store: start, search, scroll, memory, and alert-to-row latency.

    QT_QPA_PLATFORM=offscreen python bench/feed.py STORE [--rate 500] [--seconds 10]

STORE is a SQLite file made by `bench/fill_store.py` (1,000,000 alerts by default); it gets
the live alerts of the last step added. One JSON line per figure:

- `start_to_interactive_s`: from opening the store (migrations checked) to the feed shown
  and painted with its rows (Open tab), with the listener already running, as the app
  starts; `process_to_interactive_s` adds the interpreter and Qt imports. Target ≤ 2 s.
- `all_tab_first_paint_s` / `all_tab_complete_s`: switching to the million-row All tab.
- `search_ms` per term: from setting the search text to its first rows painted (the count
  may follow later for a dense term). Target ≤ 200 ms.
- `scroll_max_stall_ms`: the All tab scrolled top to bottom in 2,000 jumps, then 2,000
  single pages, each step a scroll bar move plus a synchronous repaint; the longest step
  (and p99). Target ≤ 16 ms.
- `rss_mb`: VmRSS after all the above (VmHWM too). Target ≤ 400 MB.

After starting, the benchmark schedules the garbage collector as the app does once its
window is up (`console.views.collector`: what exists is frozen, young passes stay short,
the full pass runs from a timer); `--default-gc` measures with Python's own schedule (its
full passes then stall the GUI thread for about 70 ms).
- `live_latency_ms`: alerts posted over HTTP at `--rate` per second by a separate process
  (open loop, up to 64 connections); for each, from its commit, which the listener answers
  2xx right after, to its row being inserted in the model (p50, p99, max), plus the longest
  GUI event-loop stall meanwhile. Target p99 ≤ 100 ms. (`client_p99` measures from the
  client's receipt of the 2xx instead; a busy client receives late, so it reads lower.)
"""

from __future__ import annotations

import time

PROCESS_START = time.perf_counter()

import argparse  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import textwrap  # noqa: E402
from pathlib import Path  # noqa: E402

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from console.admin import integrations as integrations_admin  # noqa: E402
from console.engine.writer import BatchStats  # noqa: E402
from console.runtime import INGEST_SWITCH_INTERVAL, BackgroundRuntime, Runtime  # noqa: E402
from console.store import open_store  # noqa: E402
from console.views.actions import ActionRunner  # noqa: E402
from console.views.alert_feed import AlertFeedWidget  # noqa: E402
from console.views.collector import ScheduledCollector  # noqa: E402
from console.views.context import ViewContext  # noqa: E402
from console.views.live_updates import LiveUpdates  # noqa: E402

COMMITTED: dict[int, float] = {}
SEARCHES = ("web-123", "Instance web-12", "payments-eu", "disk", "Prometheus", "zzz", "ab")


def emit(figure: str, **values: object) -> None:
    print(json.dumps({"figure": figure, **values}), flush=True)


def memory() -> dict[str, float]:
    found: dict[str, float] = {}
    for line in Path("/proc/self/status").read_text().splitlines():
        key, _, value = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            found[key] = round(int(value.split()[0]) / 1024, 1)
    return found


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


class PaintWatch(QObject):
    """Counts paints of a widget (the table's viewport)."""

    def __init__(self, target: QObject) -> None:
        super().__init__()
        self.paints = 0
        target.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def wait_for(app: QApplication, done, timeout: float = 60.0) -> None:
    """Run the event loop until `done()` (sleeping in it, as the app does)."""
    deadline = time.perf_counter() + timeout
    loop = QEventLoop()
    timer = QTimer()
    timer.timeout.connect(lambda: loop.quit() if done() or time.perf_counter() > deadline else None)
    timer.start(1)
    while not done():
        if time.perf_counter() > deadline:
            timer.stop()
            raise TimeoutError("benchmark step timed out")
        loop.exec()
    timer.stop()


def repainted(app: QApplication, feed: AlertFeedWidget) -> None:
    """Ask for a paint of the table and wait until it has happened."""
    watch: PaintWatch = feed.watch  # type: ignore[attr-defined]
    before = watch.paints
    feed.table.viewport().update()
    wait_for(app, lambda: watch.paints > before)


def painted_with_rows(app: QApplication, feed: AlertFeedWidget) -> None:
    model = feed.model
    wait_for(app, lambda: model.showing_query and model.rowCount() > 0)
    repainted(app, feed)


def start(app: QApplication, path: Path) -> tuple[AlertFeedWidget, BackgroundRuntime, str, str]:
    began = time.perf_counter()
    store = open_store(str(path))
    with store.write() as session:
        created = integrations_admin.create(session, f"bench-{os.getpid()}", "http")
        url_path, token = created.integration.url_path, created.token
    sys.setswitchinterval(INGEST_SWITCH_INTERVAL)
    updates = LiveUpdates()

    def committed(stats: BatchStats) -> None:
        # The writer reports a commit just before it answers the requests: this is the 2xx.
        at = time.monotonic()
        for iid in stats.alert_iids:
            COMMITTED.setdefault(iid, at)
        updates.push(stats)

    runtime = Runtime(store, host="127.0.0.1", port=0, on_commit=committed)
    background = BackgroundRuntime(runtime)
    background.start()
    ctx = ViewContext(store, ActionRunner(runtime.writer), updates, runtime.listener, "bench")
    feed = AlertFeedWidget(ctx)
    feed.resize(1280, 800)
    feed.watch = PaintWatch(feed.table.viewport())  # type: ignore[attr-defined]
    feed.show()
    painted_with_rows(app, feed)
    now = time.perf_counter()
    emit(
        "start_to_interactive_s",
        value=round(now - began, 3),
        target=2.0,
        rows=feed.model.rowCount(),
        tab=feed.tab,
    )
    emit("process_to_interactive_s", value=round(now - PROCESS_START, 3))
    return feed, background, runtime.listener.url + url_path, token


def all_tab(app: QApplication, feed: AlertFeedWidget) -> None:
    began = time.perf_counter()
    feed.show_tab("all")
    painted_with_rows(app, feed)
    first = time.perf_counter() - began
    wait_for(app, lambda: feed.model.is_complete)
    emit("all_tab_first_paint_s", value=round(first, 3), rows=feed.model.rowCount())
    emit("all_tab_complete_s", value=round(time.perf_counter() - began, 3))


def searches(app: QApplication, feed: AlertFeedWidget) -> None:
    model = feed.model
    worst = 0.0
    for term in SEARCHES:
        wait_for(app, lambda: model.is_complete)
        began = time.perf_counter()
        feed.search.setText(term)
        wait_for(app, lambda: model.showing_query)
        repainted(app, feed)
        first = (time.perf_counter() - began) * 1000
        wait_for(app, lambda: model.is_complete)
        total = (time.perf_counter() - began) * 1000
        worst = max(worst, first)
        emit(
            "search_ms",
            term=term,
            first_rows_ms=round(first, 1),
            complete_ms=round(total, 1),
            matches=model.rowCount(),
            target=200,
        )
    emit("search_worst_first_rows_ms", value=round(worst, 1), target=200)
    feed.search.clear()
    wait_for(app, lambda: model.is_complete and not model.query.search)


def scrolling(app: QApplication, feed: AlertFeedWidget) -> None:
    table = feed.table
    bar = table.verticalScrollBar()
    model = feed.model
    app.processEvents()
    # Time the store reads of each step too: a step over target with a slow read waited on
    # the disk (pages of a screen sit far apart), not on painting.
    reads: list[float] = []
    load_rows = model._load_rows

    def timed_load(row: int) -> None:
        began = time.perf_counter()
        load_rows(row)
        reads.append((time.perf_counter() - began) * 1000)

    model._load_rows = timed_load  # type: ignore[method-assign]
    steps: list[tuple[float, float]] = []  # (step ms, of which reading ms)

    def step(value: int) -> None:
        reads.clear()
        began = time.perf_counter()
        bar.setValue(value)
        table.viewport().repaint()
        app.processEvents()
        steps.append(((time.perf_counter() - began) * 1000, sum(reads)))

    jumps = 2000
    for n in range(jumps + 1):
        step(round(bar.maximum() * n / jumps))
    jumped = [ms for ms, _read in steps]
    bar.setValue(0)
    for _ in range(2000):
        step(bar.value() + bar.pageStep())
    model._load_rows = load_rows  # type: ignore[method-assign]
    paged = [ms for ms, _read in steps[len(jumped) :]]
    over = [(ms, read) for ms, read in steps if ms > 16]
    emit(
        "scroll_max_stall_ms",
        value=round(max(ms for ms, _read in steps), 2),
        target=16,
        jumps_p99_ms=round(percentile(jumped, 0.99), 2),
        jumps_max_ms=round(max(jumped), 2),
        pages_p99_ms=round(percentile(paged, 0.99), 2),
        pages_max_ms=round(max(paged), 2),
        steps_over_target=len(over),
        of_which_reading_over_5ms=sum(1 for _ms, read in over if read > 5),
        read_p50_ms=round(percentile([read for _ms, read in steps if read], 0.5), 2),
        read_max_ms=round(max(read for _ms, read in steps), 2),
        rows=model.rowCount(),
    )
    bar.setValue(0)


CLIENT = textwrap.dedent(
    """
    import asyncio, json, sys, time, httpx
    url, token, rate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
    headers = {"Authorization": "Bearer " + token}
    out = []

    async def one(client, n, began):
        body = {"title": f"live {n}", "severity": "high", "fingerprint": f"live-{began}-{n}"}
        answer = await client.post(url, json=body, headers=headers)
        at = time.monotonic()
        if answer.status_code == 200:
            out.append((answer.json()[0]["iid"], at))

    async def main():
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(timeout=10, limits=limits) as client:
            began = time.monotonic()
            tasks, n = [], 0
            while n < rate * seconds:  # open loop: a request every 1/rate s, answered or not
                pause = began + n / rate - time.monotonic()
                if pause > 0:
                    await asyncio.sleep(pause)
                tasks.append(asyncio.create_task(one(client, n, began)))
                n += 1
            await asyncio.gather(*tasks)

    asyncio.run(main())
    json.dump(out, sys.stdout)
    """
)


def live(
    app: QApplication, feed: AlertFeedWidget, url: str, token: str, rate: float, seconds: float
) -> None:
    feed.show_tab("open")
    wait_for(app, lambda: feed.model.is_complete and feed.model.query.tab == "open")
    feed.scroll_to_top()
    seen: dict[int, float] = {}

    def inserted(_parent, first: int, last: int) -> None:
        at = time.monotonic()
        for row in range(first, last + 1):
            iid = feed.model.iid_at(row)
            if iid is not None:
                seen.setdefault(iid, at)

    feed.model.rowsInserted.connect(inserted)
    gaps: list[float] = []
    last_tick = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append((now - last_tick[0]) * 1000)
        last_tick[0] = now

    ticker = QTimer()
    ticker.timeout.connect(tick)
    ticker.start(1)
    with tempfile.TemporaryFile("w+") as answers:  # a pipe would fill up and block it
        client = subprocess.Popen(
            [sys.executable, "-c", CLIENT, url, token, str(rate), str(seconds)], stdout=answers
        )
        wait_for(app, lambda: client.poll() is not None, timeout=seconds + 60)
        answers.seek(0)
        acked = json.load(answers)
    wait_for(app, lambda: all(iid in seen for iid, _at in acked), timeout=30)
    ticker.stop()
    latencies = [(seen[iid] - COMMITTED[iid]) * 1000 for iid, _at in acked]
    # The client's own clock, for reference: its receive times lag when it is busy.
    client_side = [(seen[iid] - at) * 1000 for iid, at in acked]
    emit(
        "live_latency_ms",
        client_p99=round(percentile(client_side, 0.99), 1),
        p50=round(percentile(latencies, 0.5), 1),
        p99=round(percentile(latencies, 0.99), 1),
        max=round(max(latencies), 1),
        alerts=len(acked),
        rate_per_s=round(len(acked) / seconds),
        target_p99=100,
        gui_max_stall_ms=round(max(gaps[1:] or [0.0]), 1),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("store", type=Path, help="a store filled by bench/fill_store.py")
    parser.add_argument("--rate", type=float, default=500.0)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--default-gc", action="store_true", help="leave the collector as is")
    args = parser.parse_args()
    if not args.store.exists():
        raise SystemExit(f"{args.store} does not exist; make it with bench/fill_store.py")
    app = QApplication.instance() or QApplication([sys.argv[0]])
    feed, background, url, token = start(app, args.store)
    if not args.default_gc:
        collector = ScheduledCollector(app)  # what the app does once its window is up
    all_tab(app, feed)
    searches(app, feed)
    scrolling(app, feed)
    emit("rss_mb", value=memory()["VmRSS"], peak=memory()["VmHWM"], target=400)
    live(app, feed, url, token, args.rate, args.seconds)
    if not args.default_gc:
        collector.stop()
    feed.close()
    background.stop()


if __name__ == "__main__":
    main()
