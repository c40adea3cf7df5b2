"""The ingest baseline: a bare aiohttp server that parses each JSON body and echoes it.

Same HTTP library, JSON library and event loop as the listener, and nothing else: no auth,
no store. What it answers per second is the ceiling the listener is compared against.
"""

from __future__ import annotations

import sys

import orjson
from aiohttp import web


async def echo(request: web.Request) -> web.Response:
    body = orjson.loads(await request.read())
    return web.Response(body=orjson.dumps(body), content_type="application/json")


def main() -> None:
    port = int(sys.argv[1])
    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post("/{tail:.*}", echo)
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None, backlog=1024)


if __name__ == "__main__":
    main()
