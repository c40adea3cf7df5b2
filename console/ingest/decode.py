"""Turning raw request bytes into a JSON value, with the listener's size and nesting limits.

Every failure is a `PayloadError` whose message tells the sender exactly what is wrong
(empty, not UTF-8 and where, not JSON and why, too deep, too large).
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from console.ingest.normalized import PayloadError

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_DEPTH: Final = 100

_BOM: Final = b"\xef\xbb\xbf"
_TOO_DEEP: Final = f"JSON nesting is deeper than {MAX_DEPTH} levels"


def decode_json(raw: bytes) -> Any:
    """Decode a request body; refuse it with 413 when too large and 400 for anything else."""
    if len(raw) > MAX_BODY_BYTES:
        raise PayloadError(f"body is larger than {MAX_BODY_BYTES} bytes", 413)
    # Some Windows tools write a byte order mark; it carries no data, so it is forgiven.
    raw = raw.removeprefix(_BOM)
    if not raw.strip():
        raise PayloadError("body is empty", 400)
    try:
        value = orjson.loads(raw)  # orjson also refuses invalid UTF-8
    except orjson.JSONDecodeError as error:
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError as bad:
            raise PayloadError(f"body is not valid UTF-8 (at byte {bad.start})", 400) from None
        # orjson stops at 1024 levels on its own; that is the same refusal as ours at 100.
        if "depth limit" in str(error) or "recursion" in str(error).lower():
            raise PayloadError(_TOO_DEEP, 400) from None
        raise PayloadError(f"body is not valid JSON: {error}", 400) from None
    # Fewer openers than the limit cannot nest deeper than it: skip the walk (the usual case).
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and depth(value) > MAX_DEPTH:
        raise PayloadError(_TOO_DEEP, 400)
    return value


def depth(value: object) -> int:
    """Nesting depth of a decoded value: 0 for a scalar, 1 for `[]`, 2 for `[[]]` and so on.

    Walks with an explicit stack, so a deep value cannot exhaust Python's recursion limit.
    """
    deepest = 0
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            children: Any = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        level += 1
        deepest = max(deepest, level)
        stack.extend((child, level) for child in children)
    return deepest
