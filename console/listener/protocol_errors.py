"""JSON answers for requests aiohttp refuses before they reach the application.

A request that is not well-formed HTTP (junk instead of a method, a header line over
8 KiB, more than 128 headers, an invalid Content-Length or chunk size) is answered by
aiohttp's connection handler itself, with a `text/plain` 400 that no middleware sees.
The listener promises a JSON error on every 4xx, so its runner hands connections to a
handler whose error answers are `{"error": ...}` with the same status and reason.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from aiohttp.web_server import Server

from console.listener.json_answers import json_error

REASON_LIMIT = 200


def _reason(status: int, message: str | None) -> str:
    if status >= 500:
        return "internal error; the request was not processed"
    # aiohttp's message is a first line, then the offending bytes with a caret under them;
    # a few messages quote the bytes on the first line too. The sender's bytes stay out.
    first = (message or "").strip().splitlines()[:1]
    said = first[0] if first else "malformed request"
    for quote in (": b'", ': b"', ": bytearray("):
        said = said.split(quote, 1)[0]
    return f"bad HTTP request: {said.strip().rstrip(':')[:REASON_LIMIT]}"


class _JsonErrorsHandler(RequestHandler):
    """aiohttp's connection handler, answering its own errors in JSON."""

    def handle_error(
        self,
        request: BaseRequest,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        # The base class logs the error and refuses once a response has begun.
        super().handle_error(request, status, exc, message)
        answer = json_error(status, _reason(status, message))
        answer.force_close()  # as aiohttp does: the connection's framing cannot be trusted
        return answer


class _JsonErrorsServer(Server):
    def __call__(self) -> RequestHandler:
        return _JsonErrorsHandler(self, loop=self._loop, **self._kwargs)


class JsonErrorsRunner(web.AppRunner):
    """`web.AppRunner` whose connections answer malformed requests in JSON."""

    async def _make_server(self) -> Server:
        server: Any = await super()._make_server()
        # The application builds its own Server; only how it makes connections changes.
        server.__class__ = _JsonErrorsServer
        return server  # type: ignore[no-any-return]
