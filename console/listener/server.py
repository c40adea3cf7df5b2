"""The aiohttp application: alert endpoints, health and metrics, with JSON errors throughout.

Order of checks on `POST /alerts/notify/<slug>/<identifier>.json`: unknown integration 404,
missing or wrong token 401, inactive integration 403, body over 1 MiB 413 (refused from its
declared length before anything is read, or while reading when it has none), bad body 400 /
422, store queue full 503 with Retry-After. A 2xx is sent only after the commit.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from console.engine.pipeline import AlertResult, Outcome, Source, Submission
from console.engine.writer import GroupCommitWriter, Overloaded, WriterStopped
from console.ingest import MAX_BODY_BYTES, PayloadError, parse_body
from console.listener.auth import IntegrationRegistry, request_token, token_valid
from console.listener.json_answers import json_error, json_response
from console.listener.metrics import ListenerMetrics
from console.listener.protocol_errors import JsonErrorsRunner
from console.listener.slack import SlashCommands
from console.store import Store

log = logging.getLogger(__name__)
RETRY_AFTER_SECONDS = "1"
# Requests in flight at shutdown are waiting for a commit, which takes milliseconds.
SHUTDOWN_GRACE_SECONDS = 3.0
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def errors_as_json(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every error leaves as JSON; nothing unexpected escapes as a bare 500 page."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        message = {
            404: f"no route for {request.method} {request.path}",
            405: f"method {request.method} is not allowed on {request.path}",
            413: f"body is larger than {MAX_BODY_BYTES} bytes",
        }.get(exc.status, exc.reason)
        allow = exc.headers.get("Allow") if exc.status == 405 else None
        return json_error(exc.status, message, {"Allow": allow} if allow else None)
    except asyncio.CancelledError:
        raise
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.path)
        return json_error(500, "internal error; the request was not processed")


class Listener:
    """The alert listener bound to one address; start and stop it on a running event loop."""

    def __init__(
        self,
        store: Store,
        writer: GroupCommitWriter,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        metrics: ListenerMetrics | None = None,
        reuse_port: bool = False,
    ) -> None:
        self.store = store
        self.writer = writer
        self.host = host
        self.port = port
        # Several `serve` workers bind the same address; the kernel spreads connections.
        self.reuse_port = reuse_port
        self.metrics = metrics or ListenerMetrics(lambda: float(writer.pending))
        # What `GET /metrics` answers: these metrics, or (workers) the sum of all workers'.
        self.metrics_text: Callable[[], str] = self.metrics.render
        self.registry = IntegrationRegistry(store)
        self.started_at = time.time()
        self.last_alert_at: float | None = None
        self.errors = 0
        # Extra sections of /healthz (name → a function returning JSON-able data).
        self.health_sections: dict[str, Callable[[], Any]] = {}
        self._runner: web.AppRunner | None = None
        self._refresher: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """The base URL alerts are posted to."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def make_app(self) -> web.Application:
        app = web.Application(middlewares=[errors_as_json], client_max_size=MAX_BODY_BYTES)
        app.router.add_post("/alerts/notify/{slug}/{endpoint}", self.notify)
        app.router.add_get("/healthz", self.healthz)
        app.router.add_post("/slack/commands", SlashCommands(self.store, self.writer).handle)
        app.router.add_get("/metrics", self.render_metrics)
        return app

    async def start(self) -> None:
        """Load integrations and start listening; `port` 0 picks a free port."""
        await self.registry.refresh()
        self._runner = JsonErrorsRunner(
            self.make_app(),
            access_log=None,
            handle_signals=False,
            shutdown_timeout=SHUTDOWN_GRACE_SECONDS,
        )
        await self._runner.setup()
        site = web.TCPSite(
            self._runner,
            self.host,
            self.port,
            backlog=1024,
            reuse_port=self.reuse_port or None,
        )
        await site.start()
        addresses = self._runner.addresses  # the bound socket tells which port was chosen
        if addresses:
            self.port = int(addresses[0][1])
        self._refresher = asyncio.create_task(self.registry.keep_fresh())

    async def stop(self) -> None:
        """Stop accepting connections and finish the requests in flight."""
        if self._refresher is not None:
            self._refresher.cancel()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def notify(self, request: web.Request) -> web.Response:
        started = time.perf_counter()
        response = await self._notify(request)
        self.metrics.latency.observe(time.perf_counter() - started)
        self.metrics.requests.inc(route="notify", status=str(response.status))
        if response.status >= 400:
            self.errors += 1
        return response

    async def _notify(self, request: web.Request) -> web.Response:
        endpoint = request.match_info["endpoint"]
        identifier = endpoint.removesuffix(".json")
        if identifier == endpoint or not identifier.isalnum():
            return json_error(404, "alert endpoints end in /<identifier>.json")
        integration = await self.registry.get(identifier)
        if integration is None:
            return json_error(404, f"no integration with identifier {identifier!r}")
        token = request_token(request.headers.get("Authorization"))
        if token is None:
            return json_error(
                401, "missing token: send 'Authorization: Bearer <token>' or Basic auth"
            )
        if not token_valid(token, integration):
            return json_error(401, "invalid token for this integration")
        if not integration.active:
            return json_error(403, f"integration {integration.name!r} is not active")
        if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
            refused = json_error(413, f"body is larger than {MAX_BODY_BYTES} bytes")
            refused.force_close()  # the unread body makes the connection unusable
            return refused
        raw = await request.read()
        try:
            shape, alerts = parse_body(raw, mapping=integration.mapping)
        except PayloadError as exc:
            return json_error(exc.status, exc.message)
        self.last_alert_at = time.time()
        if not alerts:
            return json_response([])
        submission = Submission(Source(integration.id, integration.name), alerts)
        try:
            results = await self.writer.submit(submission)
        except Overloaded as exc:
            return json_error(503, f"overloaded: {exc}", {"Retry-After": RETRY_AFTER_SECONDS})
        except WriterStopped as exc:
            return json_error(503, str(exc), {"Retry-After": RETRY_AFTER_SECONDS})
        except Exception as exc:  # the store failed: nothing was acknowledged, ask for a retry
            log.error("commit failed: %s", exc)
            return json_error(503, "the store is unavailable", {"Retry-After": RETRY_AFTER_SECONDS})
        for result in results:
            self.metrics.alerts.inc(integration=integration.name, outcome=result.outcome)
        return self._answer(shape, results)

    def _answer(self, shape: str, results: list[AlertResult]) -> web.Response:
        if shape == "pagerduty":
            result = results[0]
            message = (
                "Event processed"
                if result.outcome != Outcome.NO_OPEN_ALERT
                else "no open alert for this dedup_key; event ignored"
            )
            return json_response(
                {"status": "success", "message": message, "dedup_key": result.source_key}, 202
            )
        if shape == "generic" and results[0].outcome == Outcome.NO_OPEN_ALERT:
            return json_error(409, "recovery for an alert that is not open; nothing to resolve")
        return json_response([result.as_json() for result in results])

    async def healthz(self, _request: web.Request) -> web.Response:
        store_ok, detail = await asyncio.to_thread(self.store.healthy)
        writer_ok = self.writer.running
        body = {
            "status": "ok" if store_ok and writer_ok else "failing",
            "listener": {
                "address": self.url,
                "started_at": self.started_at,
                "last_alert_at": self.last_alert_at,
                "errors": self.errors,
                "queue_depth": self.writer.pending,
                "writer_running": writer_ok,
            },
            "store": {"ok": store_ok, "detail": detail, "url": self.store.display_url},
        }
        body.update({name: section() for name, section in self.health_sections.items()})
        return json_response(body, 200 if store_ok and writer_ok else 503)

    async def render_metrics(self, _request: web.Request) -> web.Response:
        return web.Response(
            text=self.metrics_text(),
            content_type="text/plain",
            charset="utf-8",
            headers={"X-Content-Type-Options": "nosniff"},
        )
