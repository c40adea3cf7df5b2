"""Field-level readers shared by every payload shape: times, text, hosts, severity, details.

Each reader takes one raw JSON value and returns the console's form of it. Readers of
optional data (times, severity) turn anything they cannot read into "missing" and let the
caller decide what that means; readers of text refuse arrays and objects with a
`PayloadError`, because silently showing `[...]` as a title would hide a sender's bug.
Nothing here recurses on input, so no body can raise `RecursionError`.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Final

import orjson

from console.ingest.normalized import PayloadError

SEVERITIES: Final = ("critical", "high", "medium", "low", "info", "unknown")
"""Stored severities, most urgent first. `unknown` is only ever set by hand."""

_SEVERITY_ALIASES: Final[dict[str, str]] = {
    alias: severity
    for severity, aliases in (
        ("critical", ("critical", "s1", "p1", "emergency", "fatal")),
        ("high", ("high", "s2", "p2", "major", "page")),
        ("medium", ("medium", "s3", "p3", "error", "alert")),
        ("low", ("low", "s4", "p4", "warn", "warning", "minor")),
        ("info", ("info", "s5", "p5", "debug", "information", "notice")),
    )
    for alias in aliases
}

FLATTEN_MAX_KEYS: Final = 500
TIMES_REMEMBERED: Final = 1024
# Longer texts are read every time: a sender must not fill the memory with huge keys.
LONGEST_REMEMBERED_TIME: Final = 64
FLATTEN_MAX_CHARS: Final = 1000

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
# Times further ahead than this are a sender's bug (or milliseconds read as seconds), not data.
_HORIZON: Final = timedelta(days=366 * 100)
# Epoch values above this are milliseconds: 1e11 seconds would be the year 5138.
_MILLIS_THRESHOLD: Final = 1e11

_ISO_TIME: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})"
    r"(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?"
    r"\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?)?",
    re.ASCII,
)
_EPOCH_TEXT: Final = re.compile(r"\d+(?:\.\d+)?", re.ASCII)


def is_blank(value: object) -> bool:
    """True for what GitLab calls blank: None, a whitespace-only string, an empty array/object."""
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict):
        return not value
    return False


def is_no_time(value: object) -> bool:
    """True for Go's zero time (`0001-01-01T00:00:00Z`), which Alertmanager sends for "no end"."""
    return isinstance(value, str) and value.strip().startswith("0001-01-01")


def parse_time(value: object, *, now: datetime) -> datetime | None:
    """Read a timestamp as an aware UTC datetime, or None when it is missing or unreadable.

    Accepts RFC 3339 / ISO 8601 text (`Z` or an offset, any number of fractional digits,
    no zone meaning UTC, or a bare date) and Unix epochs in seconds or milliseconds, as
    numbers or digit strings (a value above 1e11 is milliseconds).

    None is returned for None and "", and for anything unreadable or implausible: bad text,
    booleans, arrays, objects, NaN, negative epochs, the epoch itself, Go's zero time
    `0001-01-01T00:00:00Z` (Alertmanager's "no time"), and anything more than 100 years
    after `now`. The caller decides what a missing time means.
    """
    if isinstance(value, bool):
        return None
    parsed: datetime | None
    if isinstance(value, int | float):
        parsed = _from_epoch(value)
    elif isinstance(value, str):
        parsed = (
            _remembered_text(value) if len(value) <= LONGEST_REMEMBERED_TIME else _from_text(value)
        )
    else:
        return None
    if parsed is None or parsed <= _EPOCH:
        return None
    try:
        latest = now + _HORIZON
    except OverflowError:
        latest = datetime.max.replace(tzinfo=UTC)
    if latest.tzinfo is None:
        latest = latest.replace(tzinfo=UTC)
    return parsed if parsed <= latest else None


def _from_text(value: str) -> datetime | None:
    stripped = value.strip()
    if _EPOCH_TEXT.fullmatch(stripped):
        return _from_epoch(float(stripped))
    return _from_iso(stripped)


# Remembered: the alerts of one notification, and the repeats of one alert, mostly share
# their times, and reading a time is a good part of reading an alert. The result depends on
# the text alone (the horizon check against `now` is the caller's).
_remembered_text = functools.lru_cache(maxsize=TIMES_REMEMBERED)(_from_text)


def _from_epoch(value: float) -> datetime | None:
    # Written as a negation so that NaN, for which every comparison is False, is refused too.
    if not value > 0:
        return None
    try:
        seconds = value / 1000 if value > _MILLIS_THRESHOLD else value
        return _EPOCH + timedelta(seconds=seconds)
    except OverflowError:
        return None


def _from_iso(text: str) -> datetime | None:
    match = _ISO_TIME.fullmatch(text)
    if match is None:
        return None
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    # Fractions beyond microseconds (Go and Alertmanager send nanoseconds) are cut, not rounded.
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        tz = _zone(zone)
        if tz is None:
            return None
        # RFC 3339 allows a leap second (:60); Python does not, so it becomes :59.
        parsed = datetime(
            int(year),
            int(month),
            int(day),
            int(hour or 0),
            int(minute or 0),
            min(int(second or 0), 59),
            micros,
            tzinfo=tz,
        )
        return parsed.astimezone(UTC)
    except (ValueError, OverflowError):
        return None


def _zone(zone: str | None) -> timezone | None:
    if zone is None or zone in ("Z", "z"):
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        return None
    offset = timedelta(hours=hours, minutes=minutes)
    return timezone(-offset if zone[0] == "-" else offset)


def scalar_text(value: object) -> str | None:
    """JSON text of a scalar (`true`, `3`, `2.5`, `null`), the string itself, or None otherwise."""
    if isinstance(value, str):
        return value
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        try:
            return str(value)
        except ValueError:
            # Python refuses to print integers over 4300 digits; JSON input cannot hold them.
            return "(number too long)"
    if isinstance(value, float):
        return orjson.dumps(value).decode()
    return None


def _kind(value: object) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array"
    return f"a {type(value).__name__}"


def text(value: object, field: str, limit: int) -> str:
    """Read a text field: None is "", scalars are their JSON text, cut to `limit` characters."""
    if value is None:
        return ""
    converted = scalar_text(value)
    if converted is None:
        raise PayloadError(f"field '{field}' must be a string, got {_kind(value)}", 400)
    return converted[:limit]


_HOSTS_MESSAGE: Final = (
    "field 'hosts' must be a string or an array of strings; nested arrays are not allowed"
)


def hosts(value: object, limit: int = 255) -> str:
    """Read `hosts`: a string, or an array of scalars joined with single spaces, cut to `limit`."""
    if value is None:
        return ""
    if isinstance(value, list):
        parts: list[str] = []
        for item in value:
            if item is None:
                continue
            part = None if isinstance(item, list | dict) else scalar_text(item)
            if part is None:
                raise PayloadError(_HOSTS_MESSAGE, 400)
            parts.append(part)
        return " ".join(parts)[:limit]
    converted = scalar_text(value)
    if converted is None:
        raise PayloadError(_HOSTS_MESSAGE, 400)
    return converted[:limit]


def severity(value: object) -> str:
    """Map a sender's severity through GitLab's alias table; anything unknown is `critical`."""
    if not isinstance(value, str):
        return "critical"
    return _SEVERITY_ALIASES.get(value.strip().lower(), "critical")


def flatten(value: object, prefix: str = "") -> dict[str, str]:
    """Flatten nested objects and arrays into dotted keys (`custom.region`, `hosts.0`).

    Leaves become text: strings as they are, everything else as JSON (`3`, `true`, `null`,
    `[]` for an empty array). At most 500 keys are kept, and keys and values are cut to 1000
    characters each, so a hostile body cannot turn into a huge incident description. A
    scalar or empty `value` gives one entry under `prefix`, or none without a prefix.
    """
    result: dict[str, str] = {}
    # An explicit stack instead of recursion; children are pushed reversed to keep key order.
    stack: list[tuple[str, object]] = [(prefix[:FLATTEN_MAX_CHARS], value)]
    while stack and len(result) < FLATTEN_MAX_KEYS:
        key, node = stack.pop()
        children: list[tuple[str, object]]
        if isinstance(node, dict) and node:
            children = [(str(name), child) for name, child in node.items()]
        elif isinstance(node, list | tuple) and node:
            children = [(str(index), child) for index, child in enumerate(node)]
        else:
            # A bare root has no name to show it under.
            if key:
                result.setdefault(key, _leaf_text(node)[:FLATTEN_MAX_CHARS])
            continue
        for name, child in reversed(children):
            child_key = f"{key}.{name}" if key else name
            stack.append((child_key[:FLATTEN_MAX_CHARS], child))
    return result


def flatten_text_maps(groups: dict[str, dict[str, str]]) -> dict[str, str]:
    """`flatten` for objects whose values are all text (Alertmanager's labels and
    annotations), without its general walk: the same keys, order and limits."""
    result: dict[str, str] = {}
    for group, values in groups.items():
        if not values:  # shown as flatten shows an empty object
            if group and len(result) < FLATTEN_MAX_KEYS:
                result.setdefault(group[:FLATTEN_MAX_CHARS], "{}")
            continue
        for name, value in values.items():
            if len(result) >= FLATTEN_MAX_KEYS:
                return result
            key = f"{group}.{name}" if group else name
            if key:  # as in flatten, a value with no name to show it under is left out
                result.setdefault(key[:FLATTEN_MAX_CHARS], value[:FLATTEN_MAX_CHARS])
    return result


def _leaf_text(value: object) -> str:
    converted = scalar_text(value)
    if converted is not None:
        return converted
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list | tuple):
        return "[]"
    return str(type(value).__name__)
