"""Fingerprints: the SHA-1 that tells a repeat notification from a new alert.

GitLab's rule: a given fingerprint (a string, or an array flattened and joined with no
separator) is hashed with SHA-1; when none is given, the whole payload minus its
time-varying keys is hashed instead. Blank input gives no fingerprint, and then every
notification is a new alert.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any, Final

import orjson

from console.ingest.fields import is_blank, scalar_text
from console.ingest.normalized import PayloadError

# Keys that change between repeats of the same alert, so they must not change its identity.
PAYLOAD_VOLATILE_KEYS: Final = ("start_time", "end_time", "hosts")

_OBJECT_REFUSED: Final = "field 'fingerprint' must be a string or an array"


def _sha1(data: str) -> str:
    # SHA-1 identifies, it does not protect; GitLab uses it, and so must we to match.
    return hashlib.sha1(data.encode("utf-8", "surrogatepass"), usedforsecurity=False).hexdigest()


def of_value(value: object) -> str | None:
    """Hash a sent fingerprint: a scalar's text, or an array's items joined with no separator.

    Nested arrays are flattened. Blank input (None, a whitespace-only string, an empty
    array, or an array of nothing but blanks) gives None; an object anywhere is refused.
    """
    if isinstance(value, str):  # the usual case, without the walk below
        return _sha1(value) if value.strip() else None
    parts: list[str] = []
    # Explicit stack instead of recursion: depth is the sender's choice.
    stack: list[object] = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            raise PayloadError(_OBJECT_REFUSED, 400)
        if isinstance(node, list | tuple):
            stack.extend(reversed(node))
        elif node is not None:
            converted = scalar_text(node)
            if converted is None:
                raise PayloadError(_OBJECT_REFUSED, 400)
            parts.append(converted)
    joined = "".join(parts)
    return None if not joined.strip() else _sha1(joined)


def of_payload(payload: dict[str, Any], exclude: Iterable[str] = ()) -> str | None:
    """Hash a payload that sent no fingerprint, ignoring `start_time`, `end_time`, `hosts`.

    `exclude` names further top-level keys to ignore (the sources of mapped times and
    hosts). Keys are sorted at every level, so key order does not matter. If every
    remaining value is blank, there is nothing to identify the alert by: None.
    """
    skipped = {*PAYLOAD_VOLATILE_KEYS, *exclude}
    kept = {key: value for key, value in payload.items() if key not in skipped}
    if all(is_blank(value) for value in kept.values()):
        return None
    try:
        canonical = orjson.dumps(kept, option=orjson.OPT_SORT_KEYS)
    except orjson.JSONEncodeError as error:
        # Only reachable with values JSON cannot hold (decoded bodies always serialize).
        raise PayloadError(f"payload cannot be fingerprinted: {error}", 400) from error
    return hashlib.sha1(canonical, usedforsecurity=False).hexdigest()
