"""A tiny HTTP receiver for tests: records what is posted and answers from a script."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field

from aiohttp import web

from console.services.loop_tasks import cancel_other_tasks


@dataclass
class Answer:
    """One scripted answer: status, headers, body, and how long to wait before sending it."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: str = "ok"
    delay: float = 0.0


class Receiver:
    """An aiohttp server on its own loop thread. Answers follow `script`, then `default`."""

    def __init__(self, script: list[Answer] | None = None, default: Answer | None = None) -> None:
        self.script = list(script or [])
        self.default = default or Answer()
        self.bodies: list[bytes] = []
        self.times: list[float] = []
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def _handle(self, request: web.Request) -> web.Response:
        self.bodies.append(await request.read())
        self.times.append(time.monotonic())
        answer = self.script.pop(0) if self.script else self.default
        if answer.delay:
            await asyncio.sleep(answer.delay)
        return web.Response(status=answer.status, text=answer.body, headers=answer.headers)

    async def _start(self) -> None:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.url = f"http://127.0.0.1:{port}/hook"

    def __enter__(self) -> Receiver:
        self._thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)
        return self

    def __exit__(self, *_exc: object) -> None:
        if self._runner is not None:
            asyncio.run_coroutine_threadsafe(self._runner.cleanup(), self.loop).result(10)
        # Handlers still waiting (a scripted delay) would be left pending for good.
        asyncio.run_coroutine_threadsafe(cancel_other_tasks(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(10)
        if not self.loop.is_running():
            self.loop.close()

    def wait_for(self, count: int, timeout: float = 10.0) -> list[bytes]:
        """Wait until `count` posts arrived; returns them all."""
        deadline = time.monotonic() + timeout
        while len(self.bodies) < count and time.monotonic() < deadline:
            time.sleep(0.01)
        assert len(self.bodies) >= count, f"{len(self.bodies)} posts arrived, {count} expected"
        return list(self.bodies)
