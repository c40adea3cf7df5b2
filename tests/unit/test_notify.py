"""Slack notifications against a local receiver: messages, retries, backoff, visible failures;
and through a running listener: an outage of Slack or SMTP delays no alert."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from datetime import UTC, datetime

import orjson

from console.engine.pipeline import Source, Submission, process_batch
from console.engine.writer import BatchStats
from console.ingest import parse_body
from console.services import slack
from console.services.delivery import RetryPolicy
from console.services.notify import NotificationDispatcher
from tests.conftest import RunningListener, add_integration, set_settings
from tests.receivers import Answer, Receiver

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
FAST = RetryPolicy(attempts=3, first_delay=0.05, max_delay=1.0)


def commit(store, *bodies: dict) -> BatchStats:
    """Commit one batch of generic alerts; the stats the writer would report."""
    subs = []
    for body in bodies:
        _shape, alerts = parse_body(orjson.dumps(body), now=NOW)
        subs.append(Submission(Source(None, "monitoring"), alerts))
    with store.write_engine.begin() as conn:
        results = [r for batch in process_batch(conn, subs) for r in batch]
    return BatchStats(len(subs), len(results), 0.0, (), (), tuple(results))


def deliver(store, *batches: BatchStats, retry: RetryPolicy = FAST) -> NotificationDispatcher:
    """Run a dispatcher until everything observed is delivered or given up."""

    async def scenario() -> NotificationDispatcher:
        dispatcher = NotificationDispatcher(store, retry=retry)
        dispatcher.start()
        for stats in batches:
            dispatcher.observe(stats)
        deadline = time.monotonic() + 15
        await asyncio.sleep(0)
        while dispatcher.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await dispatcher.stop(grace=0)
        return dispatcher

    return asyncio.run(scenario())


def text_of(body: bytes) -> str:
    message = json.loads(body)
    return (
        message["text"]
        + "\n"
        + "\n".join(b["text"]["text"] for b in message["blocks"] if "text" in b)
    )


def test_new_incident_and_recovery_reach_the_webhook(store):
    with Receiver() as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        opened = commit(store, {"title": "Disk <full>", "fingerprint": "a", "severity": "high"})
        repeated = commit(store, {"title": "Disk <full>", "fingerprint": "a"})
        recovered = commit(store, {"fingerprint": "a", "end_time": "2026-11-29T12:05:00Z"})
        dispatcher = deliver(store, opened, repeated, recovered)
        bodies = hook.wait_for(1)
    assert dispatcher.sent["slack"] == 2 and dispatcher.failed == 0
    text = "\n".join(text_of(b) for b in bodies)
    assert "New incident <incident-console://incident/1|#1>: Disk &lt;full&gt;" in text
    assert "Severity: high" in text
    assert "Recovered" in text and "closed" in text


def test_waiting_notices_go_out_as_one_message(store):
    with Receiver() as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        batch = commit(store, *({"title": f"alert {n}", "fingerprint": str(n)} for n in range(3)))
        dispatcher = deliver(store, batch)
    assert len(hook.bodies) == 1
    assert json.loads(hook.bodies[0])["text"] == "3 incident updates"
    assert dispatcher.sent["slack"] == 3


def test_no_slack_message_without_incident(store):
    with Receiver() as hook:
        set_settings(store, slack_webhook_url=hook.url)  # create_incident is off
        dispatcher = deliver(store, commit(store, {"title": "lonely", "fingerprint": "a"}))
    assert hook.bodies == [] and dispatcher.sent["slack"] == 0 and dispatcher.failed == 0


def test_429_is_retried_after_retry_after(store):
    script = [Answer(429, {"Retry-After": "0.3"}, "rate_limited")]
    with Receiver(script) as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        dispatcher = deliver(store, commit(store, {"title": "x", "fingerprint": "a"}))
    assert len(hook.bodies) == 2
    assert hook.times[1] - hook.times[0] >= 0.3
    assert dispatcher.sent["slack"] == 1 and dispatcher.failed == 0


def test_5xx_is_retried_with_backoff(store):
    with Receiver([Answer(500), Answer(503)]) as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        dispatcher = deliver(store, commit(store, {"title": "x", "fingerprint": "a"}))
    assert len(hook.bodies) == 3
    assert dispatcher.sent["slack"] == 1 and dispatcher.failed == 0


def test_lasting_outage_becomes_a_visible_error(store):
    with Receiver(default=Answer(502, body="bad gateway")) as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        dispatcher = deliver(store, commit(store, {"title": "x", "fingerprint": "a"}))
    assert len(hook.bodies) == FAST.attempts
    assert dispatcher.failed == 1
    [error] = dispatcher.recent_errors()
    assert error.channel == "slack" and "502" in error.message and "gave up" in error.message
    health = dispatcher.health()
    assert health["failed"] == 1 and health["errors"][0]["message"] == error.message


def test_4xx_is_not_retried(store):
    with Receiver(default=Answer(404, body="no_service")) as hook:
        set_settings(store, create_incident="true", slack_webhook_url=hook.url)
        dispatcher = deliver(store, commit(store, {"title": "x", "fingerprint": "a"}))
    assert len(hook.bodies) == 1
    assert dispatcher.failed == 1 and "no_service" in dispatcher.recent_errors()[0].message


def test_unreachable_webhook_is_retried_then_reported(store):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/services/T/B/secret-part"
    set_settings(store, create_incident="true", slack_webhook_url=url)
    dispatcher = deliver(store, commit(store, {"title": "x", "fingerprint": "a"}))
    [error] = dispatcher.recent_errors()
    assert "unreachable" in error.message
    assert "secret-part" not in error.message  # the webhook URL is a secret


def test_retry_after_as_http_date():
    assert slack.retry_after_seconds("Thu, 01 Jan 2026 00:00:10 GMT", now=1767225600.0) == 10.0
    assert slack.retry_after_seconds("7") == 7.0
    assert slack.retry_after_seconds("soon") is None
    assert slack.retry_after_seconds(None) is None


# ---- nothing delays an alert -------------------------------------------------------------------


def test_slack_and_smtp_outages_delay_no_alert(store, client):
    # A "dead" SMTP server: it accepts connections (the kernel does) but never says hello.
    dead = socket.socket()
    dead.bind(("127.0.0.1", 0))
    dead.listen(64)
    slow = Answer(500, delay=5.0)  # Slack hangs 5 s, then fails
    with Receiver(default=slow) as hook:
        set_settings(
            store,
            create_incident="true",
            slack_webhook_url=hook.url,
            send_email="true",
            email_recipients="noc@example.com",
            smtp_host="127.0.0.1",
            smtp_port=str(dead.getsockname()[1]),
            smtp_security="none",
        )
        running = RunningListener(store)
        try:
            endpoint = add_integration(store, running.base)
            running.refresh_integrations()
            latencies = []
            for n in range(30):
                started = time.perf_counter()
                response = client.post(
                    endpoint.url,
                    json={"title": f"alert {n}", "fingerprint": str(n)},
                    headers=endpoint.headers,
                )
                latencies.append(time.perf_counter() - started)
                assert response.status_code == 200
            hook.wait_for(1)  # Slack was really being called meanwhile
            health = client.get(running.base + "/healthz").json()
            assert health["notifications"]["pending"] > 0
        finally:
            running.stop()
            dead.close()
    assert max(latencies) < 0.5, latencies
