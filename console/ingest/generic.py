"""The generic HTTP-endpoint payload (GitLab's documented fields), with custom field mapping.

Each field is read from its mapped path when the integration maps it and that path yields
something, and otherwise from its default key. Keys the standard fields consume are left
out of `details`; everything else, including the sources of mapped fields, stays visible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, Final

from console.ingest import fields, fingerprint
from console.ingest.mapping import MAPPABLE_FIELDS, extract, parse_path, without
from console.ingest.normalized import Action, NormalizedAlert

DEFAULT_TITLE: Final = "New: Alert"

# The keys GitLab's generic payload reads; they are shown as fields, not again as details.
STANDARD_KEYS: Final = frozenset(
    {
        "title",
        "description",
        "start_time",
        "end_time",
        "service",
        "monitoring_tool",
        "hosts",
        "severity",
        "fingerprint",
        "gitlab_environment_name",
        "environment",
        "runbook",
    }
)

# Mapped fields whose source must not count towards the payload fingerprint, like their
# default keys: they change between repeats of one alert.
_VOLATILE_FIELDS: Final = ("start_time", "end_time", "hosts")


class _Reader:
    """Reads one field: its mapped path first, then its default keys; blank counts as absent."""

    def __init__(self, body: dict[str, Any], mapping: Mapping[str, str]) -> None:
        self.body = body
        self.paths: dict[str, str] = {}
        for field in MAPPABLE_FIELDS:
            path = mapping.get(field)
            if path and _valid(path):
                self.paths[field] = path

    def __call__(self, field: str, *default_keys: str) -> object:
        path = self.paths.get(field)
        if path is not None:
            value = extract(self.body, path)
            if not fields.is_blank(value):
                return value
        for key in default_keys:
            value = self.body.get(key)
            if not fields.is_blank(value):
                return value
        return None


def _valid(path: str) -> bool:
    # A malformed path is the settings' fault, not the sender's: read the default key instead
    # of refusing alerts that are fine.
    try:
        parse_path(path)
    except ValueError:
        return False
    return True


def parse_generic(
    body: dict[str, Any], *, mapping: Mapping[str, str], now: datetime
) -> NormalizedAlert:
    """Read a generic alert body (already known to be a JSON object) into one alert."""
    read = _Reader(body, mapping)

    title = fields.text(read("title", "title"), "title", 200)
    if not title.strip():
        title = DEFAULT_TITLE

    started_at = fields.parse_time(read("start_time", "start_time"), now=now) or now
    end_value = read("end_time", "end_time")
    action = Action.TRIGGER
    ended_at: datetime | None = None
    # Go's zero time means "no end"; a sender that always fills end_time must not resolve.
    if end_value is not None and not fields.is_no_time(end_value):
        action = Action.RESOLVE
        ended_at = fields.parse_time(end_value, now=now) or now

    return NormalizedAlert(
        title=title,
        action=action,
        started_at=started_at,
        ended_at=ended_at,
        severity=fields.severity(read("severity", "severity")),
        fingerprint=_fingerprint(body, read),
        description=fields.text(read("description", "description"), "description", 1000),
        service=fields.text(read("service", "service"), "service", 100),
        monitoring_tool=fields.text(
            read("monitoring_tool", "monitoring_tool"), "monitoring_tool", 100
        ),
        hosts=fields.hosts(read("hosts", "hosts")),
        environment=fields.text(
            read("environment", "gitlab_environment_name", "environment"), "environment", 100
        ),
        runbook=fields.text(read("runbook", "runbook"), "runbook", 1000),
        payload=body,
        details=fields.flatten(
            {key: value for key, value in body.items() if key not in STANDARD_KEYS}
        ),
    )


def _fingerprint(body: dict[str, Any], read: _Reader) -> str | None:
    given = fingerprint.of_value(read("fingerprint", "fingerprint"))
    if given is not None:
        return given
    stable = body
    for field in _VOLATILE_FIELDS:
        path = read.paths.get(field)
        if path is not None:
            stable = without(stable, path)
    return fingerprint.of_payload(stable)
