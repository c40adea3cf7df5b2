"""Unit tests for console.ingest.generic: GitLab's generic fields and custom field mapping."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from console.ingest.fingerprint import of_payload
from console.ingest.generic import parse_generic
from console.ingest.normalized import Action, NormalizedAlert, PayloadError
from tests.conftest import FORMATS

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    path = FORMATS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    body = orjson.loads(path.read_bytes())
    assert isinstance(body, dict)
    return body


def parse(body: dict[str, Any], **mapping: str) -> NormalizedAlert:
    return parse_generic(body, mapping=mapping, now=NOW)


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def test_real_generic_alert() -> None:
    body = load("generic-alert.json")
    alert = parse(body)
    assert alert.title == "Checkout latency above 2s"
    assert alert.description == "p95 latency of the checkout service crossed 2 seconds"
    assert alert.action is Action.TRIGGER
    assert alert.started_at == datetime(2026, 11, 29, 10, 15, tzinfo=UTC)
    assert alert.ended_at is None
    assert alert.service == "checkout"
    assert alert.monitoring_tool == "Grafana"
    assert alert.hosts == "web-1 web-2"
    assert alert.severity == "high"
    assert alert.fingerprint == sha1("checkout-latency")
    assert alert.environment == "production"
    assert alert.runbook == "https://runbooks.example.com/checkout-latency"
    assert alert.details == {"custom.region": "eu-west-1", "custom.p95_ms": "2310"}
    assert alert.payload is body


def test_real_generic_recovery_matches_the_alert() -> None:
    alert = parse(load("generic-alert.json"))
    recovery = parse(load("generic-alert-recovery.json"))
    assert recovery.action is Action.RESOLVE
    assert recovery.ended_at == datetime(2026, 11, 29, 10, 42, tzinfo=UTC)
    assert recovery.fingerprint == alert.fingerprint
    assert recovery.started_at == NOW


# --- defaults and truncation ----------------------------------------------------------------


@pytest.mark.parametrize("body", [{}, {"title": ""}, {"title": "   "}, {"title": None}])
def test_title_default(body: dict[str, Any]) -> None:
    assert parse(body).title == "New: Alert"


def test_minimal_body_defaults() -> None:
    alert = parse({})
    assert alert.action is Action.TRIGGER
    assert alert.started_at == NOW
    assert alert.severity == "critical"
    assert alert.fingerprint is None
    assert alert.description == alert.service == alert.hosts == alert.runbook == ""
    assert alert.details == {}


@pytest.mark.parametrize(
    ("key", "attribute", "limit"),
    [
        ("title", "title", 200),
        ("description", "description", 1000),
        ("service", "service", 100),
        ("monitoring_tool", "monitoring_tool", 100),
        ("hosts", "hosts", 255),
        ("gitlab_environment_name", "environment", 100),
        ("environment", "environment", 100),
        ("runbook", "runbook", 1000),
    ],
)
def test_truncation_at_exact_limit(key: str, attribute: str, limit: int) -> None:
    assert getattr(parse({key: "x" * limit}), attribute) == "x" * limit
    assert getattr(parse({key: "y" * (limit + 1)}), attribute) == "y" * limit


def test_numbers_become_text() -> None:
    alert = parse({"title": 42, "service": 2.5, "description": True})
    assert (alert.title, alert.service, alert.description) == ("42", "2.5", "true")


@pytest.mark.parametrize("key", ["title", "description", "service", "runbook", "environment"])
def test_text_fields_refuse_containers(key: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse({key: {"nested": 1}})
    assert caught.value.status == 400
    assert f"'{key}'" in caught.value.message


# --- times --------------------------------------------------------------------------------


@pytest.mark.parametrize("start", [None, "", "yesterday", "2022-010-30T11:22:40Z", True, [1]])
def test_missing_or_unparsable_start_time_is_now(start: object) -> None:
    assert parse({"title": "t", "start_time": start}).started_at == NOW


def test_start_time_epoch_milliseconds() -> None:
    started = parse({"start_time": 1795947300000}).started_at
    assert started == datetime(2026, 11, 29, 10, 15, tzinfo=UTC)


@pytest.mark.parametrize("end", [None, "", "  ", [], "0001-01-01T00:00:00Z"])
def test_blank_end_time_is_a_trigger(end: object) -> None:
    alert = parse({"end_time": end})
    assert alert.action is Action.TRIGGER
    assert alert.ended_at is None


def test_end_time_resolves() -> None:
    alert = parse({"end_time": "2026-11-29T10:42:00+01:00"})
    assert alert.action is Action.RESOLVE
    assert alert.ended_at == datetime(2026, 11, 29, 9, 42, tzinfo=UTC)


@pytest.mark.parametrize("end", ["garbage", 0, True])
def test_unparsable_end_time_resolves_now(end: object) -> None:
    alert = parse({"end_time": end})
    assert alert.action is Action.RESOLVE
    assert alert.ended_at == NOW


# --- hosts, severity, environment -------------------------------------------------------------


def test_hosts_string_and_array() -> None:
    assert parse({"hosts": "db01"}).hosts == "db01"
    assert parse({"hosts": ["a", "b", 3]}).hosts == "a b 3"


def test_hosts_nested_array_refused() -> None:
    with pytest.raises(PayloadError, match="nested arrays are not allowed"):
        parse({"hosts": ["a", ["b"]]})


@pytest.mark.parametrize(
    ("raw", "expected"), [("LOW", "low"), ("p2", "high"), ("bogus", "critical")]
)
def test_severity(raw: str, expected: str) -> None:
    assert parse({"severity": raw}).severity == expected


def test_environment_prefers_gitlab_environment_name() -> None:
    both = {"gitlab_environment_name": "production", "environment": "staging"}
    assert parse(both).environment == "production"
    assert parse({"environment": "staging"}).environment == "staging"
    assert parse({"gitlab_environment_name": " ", "environment": "staging"}).environment == (
        "staging"
    )


# --- fingerprint ------------------------------------------------------------------------------


def test_fingerprint_string_and_array() -> None:
    assert parse({"fingerprint": "abc"}).fingerprint == sha1("abc")
    assert parse({"fingerprint": ["a", ["b", "c"]]}).fingerprint == sha1("abc")
    assert parse({"fingerprint": 12}).fingerprint == sha1("12")


def test_fingerprint_object_refused() -> None:
    with pytest.raises(PayloadError, match="fingerprint"):
        parse({"fingerprint": {"a": 1}})


def test_missing_fingerprint_hashes_payload_without_volatile_keys() -> None:
    one = parse({"title": "Disk", "start_time": "2026-11-29T10:00:00Z", "hosts": "a"})
    two = parse({"hosts": ["b"], "title": "Disk", "end_time": "2026-11-29T11:00:00Z"})
    assert one.fingerprint is not None
    assert one.fingerprint == two.fingerprint == of_payload({"title": "Disk"})
    assert parse({"title": "Other"}).fingerprint != one.fingerprint


def test_blank_fingerprint_falls_back_to_payload_hash() -> None:
    assert parse({"title": "Disk", "fingerprint": " "}).fingerprint == of_payload(
        {"title": "Disk", "fingerprint": " "}
    )


def test_payload_with_only_blank_values_has_no_fingerprint() -> None:
    assert (
        parse({"title": "", "start_time": "2026-11-29T10:00:00Z", "extra": []}).fingerprint is None
    )


# --- details ----------------------------------------------------------------------------------


def test_details_exclude_standard_keys_only() -> None:
    body = {
        "title": "t",
        "severity": "low",
        "runbook": "r",
        "environment": "e",
        "custom": {"a": 1},
        "tags": ["x", "y"],
    }
    assert parse(body).details == {"custom.a": "1", "tags.0": "x", "tags.1": "y"}


# --- custom mapping ---------------------------------------------------------------------------


def test_mapped_title_wins_over_title() -> None:
    body = {"alert": {"name": "Mapped"}, "title": "Default"}
    assert parse(body, title="alert/name").title == "Mapped"


@pytest.mark.parametrize("alert", [{}, {"name": ""}, {"name": None}, "not an object"])
def test_mapped_title_falls_back_to_title(alert: object) -> None:
    assert parse({"alert": alert, "title": "Default"}, title="alert/name").title == "Default"


def test_mapped_title_falls_back_to_default_title() -> None:
    assert parse({"alert": {}}, title="alert/name").title == "New: Alert"


def test_mapped_source_stays_in_details() -> None:
    alert = parse({"alert": {"name": "Mapped"}}, title="alert/name")
    assert alert.details == {"alert.name": "Mapped"}


def test_every_mappable_field() -> None:
    body = {
        "a": {
            "t": "Title",
            "d": "Desc",
            "s": "2026-11-29T10:00:00Z",
            "e": "2026-11-29T11:00:00Z",
            "svc": "orders",
            "tool": "Zabbix",
            "h": ["h1", "h2"],
            "sev": "warning",
            "fp": ["x", "y"],
            "env": "prod",
        }
    }
    alert = parse(
        body,
        title="a/t",
        description="a/d",
        start_time="a/s",
        end_time="a/e",
        service="a/svc",
        monitoring_tool="a/tool",
        hosts="a/h",
        severity="a/sev",
        fingerprint="a/fp",
        environment="a/env",
    )
    assert alert.title == "Title"
    assert alert.description == "Desc"
    assert alert.started_at == datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert alert.action is Action.RESOLVE
    assert alert.ended_at == datetime(2026, 11, 29, 11, tzinfo=UTC)
    assert alert.service == "orders"
    assert alert.monitoring_tool == "Zabbix"
    assert alert.hosts == "h1 h2"
    assert alert.severity == "low"
    assert alert.fingerprint == sha1("xy")
    assert alert.environment == "prod"


def test_mapped_array_index_path() -> None:
    body = {"events": [{"host": "db01"}, {"host": "db02"}]}
    assert parse(body, hosts="events[1]/host").hosts == "db02"


def test_mapped_volatile_sources_do_not_change_payload_fingerprint() -> None:
    mapping = {"start_time": "alert/at", "hosts": "alert/where"}
    one = parse_generic(
        {"alert": {"name": "x", "at": "2026-11-29T10:00:00Z", "where": "a"}},
        mapping=mapping,
        now=NOW,
    )
    two = parse_generic(
        {"alert": {"name": "x", "at": "2026-11-29T12:00:00Z", "where": "b"}},
        mapping=mapping,
        now=NOW,
    )
    assert one.fingerprint is not None
    assert one.fingerprint == two.fingerprint


def test_malformed_mapped_path_is_ignored() -> None:
    assert parse({"title": "Default"}, title="alert[").title == "Default"


def test_unknown_mapped_field_is_ignored() -> None:
    assert parse({"title": "Default", "x": "y"}, nonsense="x").title == "Default"
