"""Slack and email notifications, sent off the ingestion path, retried, never lost silently.

The runtime hands every committed batch to `observe` on the ingest loop; that only appends
to a queue, so an acknowledgement never waits for a notification. Three tasks on the same
loop do the rest:

- the router keeps the new alerts and recoveries of each batch, reads the settings (at most
  once a second) and the alerts' facts (in a worker thread), and queues a Slack job per new
  incident or recovery of an alert with an incident (`slack_webhook_url` set), and an email
  per new alert or recovery (`send_email` on, recipients and an SMTP server set);
- the Slack worker posts what is waiting as one message (httpx), retrying 429 (after
  Slack's `Retry-After`), 5xx and network errors with exponential backoff;
- the mail worker delivers what is waiting over one SMTP connection, on a daemon thread
  (smtplib blocks), retrying connection errors and 4xx replies with backoff.

A notification that cannot be delivered (a permanent refusal, or the last retry failed) is
recorded: `failed` counts them, `recent_errors()` lists the latest, `health()` is part of the
listener's `/healthz`, observers added with `add_error_observer` hear about each one, and
each is logged. Notifications live in memory: those still queued when the process stops are
reported as failed, and a killed process loses its queue (the alerts themselves are safe).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from console.admin.settings import load_settings
from console.engine.pipeline import AlertResult
from console.engine.writer import BatchStats
from console.models import utcnow
from console.services import mail, slack
from console.services.delivery import NotificationError, RetryPolicy, in_daemon_thread
from console.services.notice import Notice, load_notices, worth_notifying
from console.store import Store

log = logging.getLogger(__name__)
T = TypeVar("T")

MAX_QUEUED = 10_000  # jobs per channel (and batches waiting to be routed)
MAIL_BATCH = 50  # messages per SMTP connection
KEPT_ERRORS = 50
SHOWN_ERRORS = 10
SETTINGS_MAX_AGE_SECONDS = 1.0
STOP_GRACE_SECONDS = 3.0


@dataclass(frozen=True, slots=True)
class _SlackJob:
    url: str
    notice: Notice


@dataclass(frozen=True, slots=True)
class _MailJob:
    smtp: mail.SmtpSettings
    recipients: tuple[str, ...]
    notice: Notice


class NotificationDispatcher:
    """Queues and delivers notifications; start and stop it on the ingest loop."""

    def __init__(
        self,
        store: Store,
        *,
        retry: RetryPolicy | None = None,
        mail_context: ssl.SSLContext | None = None,
        max_queued: int = MAX_QUEUED,
    ) -> None:
        self.store = store
        self.retry = retry or RetryPolicy()
        self.mail_context = mail_context  # None: the system's trusted certificates
        self.max_queued = max_queued
        self.sent = {"slack": 0, "email": 0}
        self.failed = 0
        self._errors: deque[NotificationError] = deque(maxlen=KEPT_ERRORS)
        self._observers: list[Callable[[NotificationError], None]] = []
        self._inbox: deque[BatchStats] = deque()
        self._slack: deque[_SlackJob] = deque()
        self._mail: deque[_MailJob] = deque()
        self._busy = {"route": 0, "slack": 0, "email": 0}
        self._wake: dict[str, asyncio.Event] = {}
        self._tasks: list[asyncio.Task[None]] = []
        self._client: httpx.AsyncClient | None = None
        self._settings: dict[str, Any] | None = None
        self._settings_at = 0.0
        self._running = False

    # ---- what the runtime and the window use -----------------------------------------------

    def observe(self, stats: BatchStats) -> None:
        """Take a committed batch (called on the loop thread, after the commit; O(1))."""
        if not self._running or not stats.results:
            return
        if len(self._inbox) >= self.max_queued:
            self._fail("routing", "notification queue full: a committed batch was skipped", 1)
            return
        self._inbox.append(stats)
        self._wake["route"].set()

    def add_error_observer(self, fn: Callable[[NotificationError], None]) -> None:
        """Call `fn(error)` for every delivery failure (on the ingest loop's thread)."""
        self._observers.append(fn)

    def recent_errors(self) -> list[NotificationError]:
        """The latest failures, oldest first (safe to call from any thread)."""
        return list(self._errors)

    @property
    def pending(self) -> int:
        """Batches waiting to be routed, plus notifications waiting or being delivered."""
        return len(self._inbox) + len(self._slack) + len(self._mail) + sum(self._busy.values())

    def health(self) -> dict[str, Any]:
        """The `notifications` section of `/healthz`."""
        return {
            "sent": dict(self.sent),
            "failed": self.failed,
            "pending": self.pending,
            "errors": [e.as_json() for e in list(self._errors)[-SHOWN_ERRORS:]],
        }

    def start(self) -> None:
        """Start the router and the two delivery workers on the running loop."""
        self._wake = {name: asyncio.Event() for name in ("route", "slack", "email")}
        self._tasks = [
            asyncio.create_task(self._route(), name="notify-route"),
            asyncio.create_task(self._slack_worker(), name="notify-slack"),
            asyncio.create_task(self._mail_worker(), name="notify-email"),
        ]
        self._running = True

    async def stop(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Give queued notifications `grace` seconds, then stop; what is left is reported."""
        if not self._running:
            return
        self._running = False
        deadline = time.monotonic() + grace
        while self.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        left = self.pending
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        if left:
            self._fail("shutdown", f"{left} notifications were not sent: the console stopped", left)
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    # ---- routing ---------------------------------------------------------------------------

    def _fail(self, channel: str, message: str, count: int) -> None:
        self.failed += count
        error = NotificationError(utcnow(), channel, message, count)
        self._errors.append(error)
        log.error("%s notification failed (%d): %s", channel, count, message)
        for observer in list(self._observers):
            try:
                observer(error)
            except Exception:  # an observer must not stop deliveries
                log.exception("notification error observer failed")

    async def _current_settings(self) -> dict[str, Any]:
        if (
            self._settings is None
            or time.monotonic() - self._settings_at > SETTINGS_MAX_AGE_SECONDS
        ):

            def read() -> dict[str, Any]:
                with self.store.read() as session:
                    return load_settings(session)

            self._settings = await asyncio.to_thread(read)
            self._settings_at = time.monotonic()
        return self._settings

    def _load(self, results: list[AlertResult]) -> list[Notice]:
        with self.store.read() as session:
            return load_notices(session, results)

    async def _route(self) -> None:
        wake = self._wake["route"]
        while True:
            await wake.wait()
            wake.clear()
            while self._inbox:
                batches = [self._inbox.popleft() for _ in range(len(self._inbox))]
                results = [r for stats in batches for r in worth_notifying(stats.results)]
                self._busy["route"] = len(results)
                try:
                    if results:
                        await self._route_results(results)
                finally:
                    self._busy["route"] = 0

    async def _route_results(self, results: list[AlertResult]) -> None:
        try:
            settings = await self._current_settings()
        except Exception as exc:
            self._fail("settings", f"cannot read the notification settings: {exc}", len(results))
            return
        webhook = str(settings.get("slack_webhook_url") or "").strip()
        recipients = tuple(str(r) for r in settings.get("email_recipients") or ())
        smtp = mail.smtp_settings(settings)
        emailing = bool(settings.get("send_email"))
        if emailing and not (recipients and smtp.host):
            missing = "recipients" if not recipients else "an SMTP server (smtp_host)"
            self._fail("email", f"email notifications are on but have no {missing}", len(results))
            emailing = False
        if not webhook and not emailing:
            return
        try:
            notices = await asyncio.to_thread(self._load, results)
        except Exception as exc:
            self._fail("settings", f"cannot read the alerts to notify about: {exc}", len(results))
            return
        for notice in notices:
            # Slack hears about incidents: one opened, or an alert of one recovered.
            about_incident = notice.incident_iid is not None and (
                notice.kind == "resolved" or notice.incident_created
            )
            if webhook and about_incident:
                self._queue("slack", self._slack, _SlackJob(webhook, notice))
            if emailing:
                self._queue("email", self._mail, _MailJob(smtp, recipients, notice))

    def _queue(self, channel: str, queue: deque[Any], job: Any) -> None:
        if len(queue) >= self.max_queued:
            self._fail(
                channel, f"{channel} queue full ({self.max_queued}): one notification dropped", 1
            )
            return
        queue.append(job)
        self._wake[channel].set()

    # ---- delivery --------------------------------------------------------------------------

    async def _slack_worker(self) -> None:
        wake = self._wake["slack"]
        while True:
            await wake.wait()
            wake.clear()
            while self._slack:
                jobs = [
                    self._slack.popleft()
                    for _ in range(min(len(self._slack), slack.MAX_PER_MESSAGE))
                ]
                self._busy["slack"] = len(jobs)
                try:
                    for url in dict.fromkeys(job.url for job in jobs):
                        await self._post_slack(url, [j.notice for j in jobs if j.url == url])
                finally:
                    self._busy["slack"] = 0

    async def _post_slack(self, url: str, notices: list[Notice]) -> None:
        if self._client is None:  # built off the loop: loading the CA bundle takes ~0.1 s
            self._client = await asyncio.to_thread(httpx.AsyncClient)
        body = slack.message(notices)
        for attempt in range(self.retry.attempts):
            try:
                await slack.post(self._client, url, body)
            except slack.SlackDeliveryError as exc:
                if not exc.transient:
                    self._fail("slack", str(exc), len(notices))
                    return
                if attempt + 1 >= self.retry.attempts:
                    self._fail("slack", f"{exc} (gave up after {attempt + 1} tries)", len(notices))
                    return
                delay = self.retry.delay(attempt, exc.retry_after)
                log.warning("Slack notification delayed %.1f s: %s", delay, exc)
                await asyncio.sleep(delay)
            else:
                self.sent["slack"] += len(notices)
                return

    async def _mail_worker(self) -> None:
        wake = self._wake["email"]
        while True:
            await wake.wait()
            wake.clear()
            while self._mail:
                jobs = [self._mail.popleft() for _ in range(min(len(self._mail), MAIL_BATCH))]
                self._busy["email"] = len(jobs)
                try:
                    for smtp, to in dict.fromkeys((job.smtp, job.recipients) for job in jobs):
                        notices = [j.notice for j in jobs if (j.smtp, j.recipients) == (smtp, to)]
                        await self._send_mail(smtp, to, notices)
                finally:
                    self._busy["email"] = 0

    async def _send_mail(
        self, smtp: mail.SmtpSettings, recipients: tuple[str, ...], notices: list[Notice]
    ) -> None:
        send: Callable[[], mail.DeliveryReport] = functools.partial(
            mail.compose_and_deliver, smtp, recipients, notices, self.mail_context
        )
        for attempt in range(self.retry.attempts):
            report = await in_daemon_thread(send)
            self.sent["email"] += len(report.sent)
            for refused, reason in report.failed:
                self._fail("email", f"alert #{refused.alert_iid}: {reason}", 1)
            if not report.retry:
                return
            pending = [m for m, _ in report.retry]
            send = functools.partial(mail.deliver, smtp, pending, self.mail_context)
            reason = report.retry[0][1]
            if attempt + 1 >= self.retry.attempts:
                alerts = ", ".join(f"#{m.alert_iid}" for m in pending[:10])
                alerts += ", …" if len(pending) > 10 else ""
                self._fail(
                    "email",
                    f"not delivered after {attempt + 1} tries ({smtp.host}:{smtp.port}): "
                    f"{reason}; alerts {alerts}",
                    len(pending),
                )
                return
            delay = self.retry.delay(attempt)
            log.warning("email delayed %.1f s (%d messages): %s", delay, len(pending), reason)
            await asyncio.sleep(delay)
