"""Unit tests for console.ingest.pagerduty: the Events API v2 shape."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from console.ingest.normalized import Action, PayloadError
from console.ingest.pagerduty import looks_like_pagerduty, parse_pagerduty
from tests.conftest import FORMATS

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def load(name: str) -> dict[str, Any]:
    path = FORMATS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    body = orjson.loads(path.read_bytes())
    assert isinstance(body, dict)
    return body


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def trigger(**event: Any) -> dict[str, Any]:
    return {
        "routing_key": "secret",
        "event_action": "trigger",
        "dedup_key": "k1",
        "payload": {"summary": "Something broke", "source": "h1", "severity": "error", **event},
    }


def refusal(body: dict[str, Any]) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        parse_pagerduty(body, now=NOW)
    return caught.value


def test_real_trigger() -> None:
    body = load("pagerduty-events-v2-trigger.json")
    alert = parse_pagerduty(body, now=NOW)
    assert alert.action is Action.TRIGGER
    assert alert.title == "Disk 95% full on db01"
    assert alert.hosts == "db01"
    assert alert.severity == "critical"
    assert alert.fingerprint == sha1("disk-db01")
    assert alert.source_key == "disk-db01"
    assert alert.service == "postgres"
    assert alert.monitoring_tool == "Monitoring"
    assert alert.started_at == datetime(2026, 11, 29, 10, 20, tzinfo=UTC)
    assert alert.runbook == "https://runbooks.example.com/disk"
    assert alert.description == ""
    assert alert.ended_at is None
    assert "routing_key" not in alert.payload
    assert alert.payload["dedup_key"] == "disk-db01"
    assert "routing_key" in body
    assert alert.details == {
        "custom_details.free_gb": "3",
        "component": "postgres",
        "group": "storage",
        "class": "disk",
    }


def test_looks_like_pagerduty() -> None:
    assert looks_like_pagerduty({"event_action": "trigger"})
    assert looks_like_pagerduty({"routing_key": "x", "payload": {}})
    assert not looks_like_pagerduty({"routing_key": "x"})
    assert not looks_like_pagerduty({"payload": {}})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("critical", "critical"),
        ("error", "medium"),
        ("warning", "low"),
        ("info", "info"),
        ("whatever", "critical"),
        (None, "critical"),
    ],
)
def test_severity(raw: object, expected: str) -> None:
    assert parse_pagerduty(trigger(severity=raw), now=NOW).severity == expected


def test_defaults() -> None:
    body = trigger()
    alert = parse_pagerduty(body, now=NOW)
    assert alert.monitoring_tool == "PagerDuty Events API"
    assert alert.service == ""
    assert alert.started_at == NOW
    assert alert.runbook == ""
    assert alert.details == {}


def test_group_when_no_component() -> None:
    assert parse_pagerduty(trigger(group="storage"), now=NOW).service == "storage"


def test_description_from_custom_details() -> None:
    alert = parse_pagerduty(trigger(custom_details={"description": "why", "n": 1}), now=NOW)
    assert alert.description == "why"
    assert alert.details == {"custom_details.description": "why", "custom_details.n": "1"}
    assert parse_pagerduty(trigger(custom_details="text"), now=NOW).description == ""


def test_title_cut_at_200() -> None:
    assert parse_pagerduty(trigger(summary="s" * 1024), now=NOW).title == "s" * 200


def test_runbook_link_by_text() -> None:
    body = trigger()
    body["links"] = [
        "junk",
        {"href": "https://a", "text": "Dashboard"},
        {"href": "https://b", "text": "Team RUNBOOK page"},
        {"href": "https://c", "text": "runbook"},
    ]
    assert parse_pagerduty(body, now=NOW).runbook == "https://b"


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
def test_acknowledge_and_resolve(action: str) -> None:
    alert = parse_pagerduty(
        {"routing_key": "s", "event_action": action, "dedup_key": "disk-db01"}, now=NOW
    )
    assert alert.action is Action(action)
    assert alert.fingerprint == sha1("disk-db01")
    assert alert.source_key == "disk-db01"
    assert alert.ended_at == (NOW if action == "resolve" else None)


@pytest.mark.parametrize("action", ["acknowledge", "resolve"])
@pytest.mark.parametrize("key", [None, "", "  "])
def test_acknowledge_and_resolve_need_dedup_key(action: str, key: object) -> None:
    error = refusal({"event_action": action, "dedup_key": key})
    assert error.status == 400
    assert error.message == "dedup_key is required for acknowledge and resolve"


def test_trigger_without_dedup_key_gets_one() -> None:
    body = trigger()
    del body["dedup_key"]
    first = parse_pagerduty(body, now=NOW)
    second = parse_pagerduty(body, now=NOW)
    assert len(first.source_key) == 32
    int(first.source_key, 16)
    assert first.fingerprint == sha1(first.source_key)
    assert first.source_key != second.source_key


@pytest.mark.parametrize("key", [12, ["a"], {"a": 1}, "k" * 256])
def test_bad_dedup_key(key: object) -> None:
    body = trigger()
    body["dedup_key"] = key
    error = refusal(body)
    assert error.status == 400
    assert "dedup_key" in error.message


def test_dedup_key_at_limit() -> None:
    body = trigger()
    body["dedup_key"] = "k" * 255
    assert parse_pagerduty(body, now=NOW).source_key == "k" * 255


@pytest.mark.parametrize("action", ["Trigger", "create", "", None, 1, ["trigger"]])
def test_bad_event_action(action: object) -> None:
    body = trigger()
    body["event_action"] = action
    error = refusal(body)
    assert error.status == 400
    assert error.message.startswith("event_action must be one of trigger, acknowledge, resolve")


def test_bad_event_action_is_named() -> None:
    body = trigger()
    body["event_action"] = "create"
    assert refusal(body).message.endswith("got 'create'")


@pytest.mark.parametrize("summary", [None, "", "   "])
def test_trigger_needs_summary(summary: object) -> None:
    error = refusal(trigger(summary=summary))
    assert error.status == 400
    assert error.message == "payload.summary is required"


@pytest.mark.parametrize("event", [None, "text", ["a"]])
def test_trigger_payload_must_be_object(event: object) -> None:
    body = trigger()
    body["payload"] = event
    assert refusal(body).status == 400


def test_summary_object_refused() -> None:
    assert "payload.summary" in refusal(trigger(summary={"a": 1})).message


def test_truncation_at_exact_limit() -> None:
    def parse_with(size: int, letter: str) -> Any:
        body = trigger(source=letter * (size + 155), component=letter * size)
        body["client"] = letter * size
        return parse_pagerduty(body, now=NOW)

    exact = parse_with(100, "x")
    assert (exact.service, exact.monitoring_tool) == ("x" * 100, "x" * 100)
    over = parse_with(101, "y")
    assert (over.service, over.monitoring_tool) == ("y" * 100, "y" * 100)
    assert (exact.hosts, over.hosts) == ("x" * 255, "y" * 255)
