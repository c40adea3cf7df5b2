"""`POST /slack/commands`: Slack slash commands, signed, answered within Slack's 3 seconds.

Order of checks: the raw body is read first (the signature covers those exact bytes); the
settings are read (off the event loop); no signing secret configured → 403; a missing
`X-Slack-Signature` or `X-Slack-Request-Timestamp`, a timestamp more than 5 minutes from now,
or a signature that does not match → 401 (all JSON errors). Only then is the form parsed,
and its `command` must be the configured trigger (`slack_trigger`, e.g. `/incident`).

The signature is Slack's v0 scheme: `v0=` + hex HMAC-SHA256 of `v0:<timestamp>:<raw body>`
keyed with the signing secret, compared in constant time.

Slack gives up on an answer after 3 s. A command normally finishes in milliseconds (a read,
or one write through the one writer); if it has not finished after `ANSWER_WITHIN_SECONDS`
the request is answered at once ("working on it") and the result is posted to the
request's `response_url` when it is ready. Only Slack's own address is posted to (https on
`RESPONSE_URL_HOSTS`, see `response_url_allowed`): a request cannot make the console post
anywhere else.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import orjson
from aiohttp import web

from console.admin.settings import load_settings
from console.engine.writer import GroupCommitWriter
from console.listener.slack_commands import Caller, CommandRunner, escape, reply
from console.store import Store

log = logging.getLogger(__name__)

# Where Slack's response_url points (commercial and GovSlack); nothing else is posted to.
RESPONSE_URL_HOSTS = frozenset({"hooks.slack.com", "hooks.slack-gov.com"})

SIGNATURE_HEADER = "X-Slack-Signature"
TIMESTAMP_HEADER = "X-Slack-Request-Timestamp"
MAX_CLOCK_SKEW_SECONDS = 300
ANSWER_WITHIN_SECONDS = 2.0
RESPONSE_URL_TIMEOUT_SECONDS = 10.0
MAX_FORM_FIELDS = 50


def current_time() -> float:
    """Now, in seconds since the epoch (a function so that tests can pin it)."""
    return time.time()


def expected_signature(secret: str, timestamp: str, body: bytes) -> str:
    """Slack's v0 signature of a request."""
    base = b"v0:" + timestamp.encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signature_problem(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float
) -> str | None:
    """Why a request's signature is refused, or None when it is Slack's."""
    if not timestamp or not signature:
        return f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER}"
    try:
        sent_at = int(timestamp)
    except ValueError:
        return f"{TIMESTAMP_HEADER} is not a number of seconds"
    if abs(now - sent_at) > MAX_CLOCK_SKEW_SECONDS:
        return "request timestamp is more than 5 minutes from now"
    expected = expected_signature(secret, timestamp, body)
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return "invalid request signature"
    return None


def _json(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")


def _error(status: int, message: str) -> web.Response:
    return _json({"error": message}, status)


def response_url_allowed(url: str) -> bool:
    """Whether a late answer may be posted to `url`: https to Slack's own hooks host, on
    the standard port, with no user name or password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return False
    return (
        parts.scheme.lower() == "https"
        and (parts.hostname or "").lower() in RESPONSE_URL_HOSTS
        and port in (None, 443)
        and parts.username is None
        and parts.password is None
    )


class SlashCommands:
    """The handler of `POST /slack/commands` for one listener."""

    def __init__(self, store: Store, writer: GroupCommitWriter) -> None:
        self.store = store
        self.runner = CommandRunner(store, writer)
        self._late: set[asyncio.Task[None]] = set()

    def _settings(self) -> dict[str, Any]:
        with self.store.read() as session:
            return load_settings(session)

    async def handle(self, request: web.Request) -> web.Response:
        """Verify, parse and run one slash command."""
        raw = await request.read()
        settings = await asyncio.to_thread(self._settings)
        secret = str(settings.get("slack_signing_secret") or "")
        if not secret:
            return _error(403, "Slack commands are off: set slack_signing_secret")
        problem = signature_problem(
            secret,
            request.headers.get(TIMESTAMP_HEADER),
            request.headers.get(SIGNATURE_HEADER),
            raw,
            current_time(),
        )
        if problem is not None:
            return _error(401, problem)
        try:
            form = parse_qs(
                raw.decode("utf-8"), keep_blank_values=True, max_num_fields=MAX_FORM_FIELDS
            )
        except (UnicodeDecodeError, ValueError) as exc:
            return _error(400, f"not a Slack form body: {exc}")
        field = {key: values[0] for key, values in form.items() if values}
        trigger = str(settings.get("slack_trigger") or "")
        command = field.get("command", "")
        if command != trigger:
            return _json(
                reply(
                    f"This console answers `{escape(trigger)}`, not `{escape(command)}`:"
                    " check the slash command's name (setting slack_trigger)."
                )
            )
        caller = Caller(field.get("user_name", ""))
        work = asyncio.ensure_future(self.runner.run(field.get("text", ""), trigger, caller))
        done, _ = await asyncio.wait({work}, timeout=ANSWER_WITHIN_SECONDS)
        if done:
            return _json(self._result(work))
        response_url = field.get("response_url", "")
        self._answer_later(work, response_url)
        return _json(reply(":hourglass_flowing_sand: Working on it; the answer follows here."))

    @staticmethod
    def _result(work: asyncio.Future[dict[str, Any]]) -> dict[str, Any]:
        try:
            return work.result()
        except Exception as exc:  # the store or writer failed: say so, do not crash
            log.error("Slack command failed: %s", exc)
            return reply(f":warning: The command failed: {escape(str(exc) or type(exc).__name__)}")

    def _answer_later(self, work: asyncio.Future[dict[str, Any]], response_url: str) -> None:
        async def post() -> None:
            await asyncio.wait({work})
            body = self._result(work)
            if not response_url_allowed(response_url):
                log.warning(
                    "Slack command finished late, but its response_url %r is not Slack's",
                    response_url[:200],
                )
                return
            try:
                # Built off the loop: loading the CA bundle would stall ingestion ~0.1 s.
                client = await asyncio.to_thread(
                    httpx.AsyncClient, timeout=RESPONSE_URL_TIMEOUT_SECONDS
                )
                async with client:
                    answer = await client.post(response_url, json=body)
                if answer.status_code >= 400:
                    log.warning("Slack refused the late answer: HTTP %d", answer.status_code)
            except httpx.HTTPError as exc:
                log.warning("could not post the late answer to Slack: %s", exc)

        task = asyncio.ensure_future(post())
        self._late.add(task)
        task.add_done_callback(self._late.discard)
