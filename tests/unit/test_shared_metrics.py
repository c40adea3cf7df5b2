"""`/metrics` of `serve` workers: whichever worker is scraped answers for all of them."""

from __future__ import annotations

from console.listener.metrics import ListenerMetrics
from console.listener.shared_metrics import SharedMetrics


def worker_metrics(tmp_path, index: int, depth: float = 0.0) -> SharedMetrics:
    return SharedMetrics(tmp_path, index, ListenerMetrics(lambda: depth))


def line(text: str, prefix: str) -> str:
    [found] = [row for row in text.splitlines() if row.startswith(prefix)]
    return found


def test_a_scrape_of_one_worker_sums_every_worker(tmp_path):
    first, second = worker_metrics(tmp_path, 0, depth=3), worker_metrics(tmp_path, 1, depth=4)
    first.metrics.alerts.inc(5, integration="am", outcome="created")
    second.metrics.alerts.inc(2, integration="am", outcome="created")
    second.metrics.alerts.inc(1, integration="pd", outcome="resolved")
    first.metrics.latency.observe(0.002)
    second.metrics.latency.observe(0.2)
    second.publish()

    text = first.render()

    name = "incident_console_alerts_received_total"
    am = f'{name}{{integration="am",outcome="created"}}'
    pd = f'{name}{{integration="pd",outcome="resolved"}}'
    assert line(text, am) == f"{am} 7"
    assert line(text, pd) == f"{pd} 1"
    latency = "incident_console_ingest_latency_seconds"
    assert line(text, f"{latency}_count") == f"{latency}_count 2"
    assert line(text, f'{latency}_bucket{{le="0.0025"}}') == f'{latency}_bucket{{le="0.0025"}} 1'
    assert line(text, f'{latency}_bucket{{le="+Inf"}}') == f'{latency}_bucket{{le="+Inf"}} 2'
    assert line(text, "incident_console_queue_depth ") == "incident_console_queue_depth 7"


def test_the_scraped_worker_counts_itself_fresh_and_others_as_last_published(tmp_path):
    first, second = worker_metrics(tmp_path, 0), worker_metrics(tmp_path, 1)
    second.metrics.requests.inc(route="notify", status="200")
    second.publish()
    second.metrics.requests.inc(route="notify", status="200")  # not published yet
    first.metrics.requests.inc(route="notify", status="200")

    from_first = first.render()
    from_second = second.render()

    name = 'incident_console_requests_total{route="notify",status="200"}'
    assert line(from_first, name) == f"{name} 2"
    assert line(from_second, name) == f"{name} 3"  # never less than an earlier scrape


def test_a_damaged_worker_file_is_skipped(tmp_path):
    first = worker_metrics(tmp_path, 0)
    first.metrics.alerts.inc(integration="am", outcome="created")
    (tmp_path / "metrics-9.json").write_text("{not json")

    text = first.render()

    name = "incident_console_alerts_received_total"
    assert line(text, name) == f'{name}{{integration="am",outcome="created"}} 1'


def test_one_process_renders_as_before(tmp_path):
    metrics = ListenerMetrics(lambda: 2)
    metrics.alerts.inc(integration="am", outcome="created")
    metrics.batch_size.observe(10)

    text = metrics.render()

    assert 'incident_console_alerts_received_total{integration="am",outcome="created"} 1' in text
    assert "incident_console_commit_batch_alerts_count 1" in text
    assert "incident_console_queue_depth 2" in text
    assert metrics.render([metrics.snapshot()]) == text


def test_write_lock_totals_are_counters_summed_over_workers(tmp_path):
    held = {0: 1.5, 1: 0.25}
    busy = {0: 3.0, 1: 4.0}
    workers = [
        SharedMetrics(
            tmp_path,
            index,
            ListenerMetrics(
                lambda: 0.0,
                write_lock_seconds=lambda index=index: held[index],
                write_lock_busy=lambda index=index: busy[index],
            ),
        )
        for index in (0, 1)
    ]
    workers[1].publish()

    text = workers[0].render()

    seconds = "incident_console_write_lock_held_seconds_total"
    tries = "incident_console_write_lock_busy_total"
    assert f"# TYPE {seconds} counter" in text.splitlines()
    assert "# TYPE incident_console_queue_depth gauge" in text.splitlines()  # still a gauge
    assert line(text, f"{seconds} ") == f"{seconds} 1.75"
    assert line(text, f"{tries} ") == f"{tries} 7"


def test_one_process_has_no_write_lock_to_count(tmp_path):
    text = ListenerMetrics(lambda: 0.0).render()

    assert line(text, "incident_console_write_lock_held_seconds_total ").endswith(" 0")
    assert line(text, "incident_console_write_lock_busy_total ").endswith(" 0")
    assert line(text, "incident_console_wal_sync_seconds_total ").endswith(" 0")
