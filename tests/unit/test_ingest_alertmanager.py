"""Unit tests for console.ingest.alertmanager: the version 4 webhook, item by item."""

from __future__ import annotations

import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from console.ingest.alertmanager import looks_like_alertmanager, parse_alertmanager
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


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


def envelope(*items: dict[str, Any]) -> dict[str, Any]:
    return {
        "version": "4",
        "groupKey": "{}:{}",
        "status": "firing",
        "receiver": "console",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://am:9093",
        "alerts": list(items),
    }


def one(item: dict[str, Any]) -> NormalizedAlert:
    alerts = parse_alertmanager(envelope(item), now=NOW)
    assert len(alerts) == 1
    return alerts[0]


# --- real bodies ------------------------------------------------------------------------------


def test_real_firing_body() -> None:
    [alert] = parse_alertmanager(load("alertmanager-v4-firing.json"), now=NOW)
    assert alert.action is Action.TRIGGER
    assert alert.ended_at is None
    assert alert.title == "Disk almost full on db01"
    assert alert.description == "Posted directly to /api/v2/alerts"
    assert alert.runbook == "http://wiki.local/runbooks/disk"
    assert alert.full_query == "up"
    assert alert.severity == "critical"
    assert alert.hosts == "db01:9100"
    assert alert.service == "orders"
    assert alert.monitoring_tool == "Prometheus"
    assert alert.started_at == datetime(2026, 11, 29, 14, 38, 44, 961092, tzinfo=UTC)
    assert alert.fingerprint == sha1("9cda19723d03064e")
    assert alert.source_key == "9cda19723d03064e"
    assert alert.payload["_receiver"] == "console"
    assert alert.payload["_groupKey"] == '{}:{alertname="ManualTest"}'
    assert alert.payload["_externalURL"] == "http://vm:9093"
    assert alert.payload["labels"]["alertname"] == "ManualTest"
    assert alert.details == {
        "labels.alertname": "ManualTest",
        "labels.instance": "db01:9100",
        "labels.service": "orders",
        "labels.severity": "critical",
    }


def test_real_resolved_body_matches_firing() -> None:
    [firing] = parse_alertmanager(load("alertmanager-v4-firing.json"), now=NOW)
    [resolved] = parse_alertmanager(load("alertmanager-v4-resolved.json"), now=NOW)
    assert resolved.action is Action.RESOLVE
    assert resolved.ended_at == datetime(2026, 11, 29, 14, 38, 48, 961092, tzinfo=UTC)
    assert resolved.fingerprint == firing.fingerprint
    assert resolved.title == firing.title


def test_looks_like_alertmanager() -> None:
    assert looks_like_alertmanager(envelope())
    assert looks_like_alertmanager({"alerts": [], "receiver": "x"})
    assert not looks_like_alertmanager({"alerts": []})
    assert not looks_like_alertmanager({"version": "4"})
    assert not looks_like_alertmanager({"title": "x"})


# --- envelope refusals ------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["3", 4, "4.0", None, ["4"]])
def test_other_versions_are_422(version: object) -> None:
    body = envelope()
    body["version"] = version
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body, now=NOW)
    assert caught.value.status == 422
    assert 'only version "4" is accepted' in caught.value.message


def test_version_3_message() -> None:
    body = envelope()
    body["version"] = "3"
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body, now=NOW)
    assert caught.value.message == (
        "unsupported Alertmanager webhook version '3'; only version \"4\" is accepted"
    )


def test_missing_keys_are_named() -> None:
    body = envelope()
    del body["groupKey"], body["commonAnnotations"]
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body, now=NOW)
    assert caught.value.status == 400
    assert caught.value.message.endswith("groupKey, commonAnnotations")


def test_missing_version_is_a_missing_key() -> None:
    body = envelope()
    del body["version"]
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body, now=NOW)
    assert caught.value.status == 400
    assert "version" in caught.value.message


@pytest.mark.parametrize("alerts", [{"a": 1}, "alerts", None, [{"status": "firing"}, "x"], [[]]])
def test_alerts_must_be_array_of_objects(alerts: object) -> None:
    body = envelope()
    body["alerts"] = alerts
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(body, now=NOW)
    assert caught.value.status == 400
    assert "'alerts'" in caught.value.message


def test_empty_alerts_is_fine() -> None:
    assert parse_alertmanager(envelope(), now=NOW) == []


def test_at_most_1000_alerts() -> None:
    item = {"labels": {"alertname": "x"}, "startsAt": "2026-11-29T10:00:00Z"}
    assert len(parse_alertmanager(envelope(*[item] * 1000), now=NOW)) == 1000
    with pytest.raises(PayloadError) as caught:
        parse_alertmanager(envelope(*[item] * 1001), now=NOW)
    assert caught.value.status == 400
    assert caught.value.message == "at most 1000 alerts per notification"


# --- items ------------------------------------------------------------------------------------


@pytest.mark.parametrize("key", ["labels", "annotations"])
def test_labels_and_annotations_must_be_objects(key: str) -> None:
    with pytest.raises(PayloadError) as caught:
        one({key: ["a"]})
    assert caught.value.status == 400
    assert f"alerts[0].{key}" in caught.value.message


def test_object_label_value_refused() -> None:
    with pytest.raises(PayloadError, match=r"alerts\[0\]\.labels\.severity"):
        one({"labels": {"severity": {"x": 1}}})


def test_scalar_label_values_become_text() -> None:
    alert = one({"labels": {"alertname": "x", "instance": 9100, "flag": True, "gone": None}})
    assert alert.hosts == "9100"
    assert alert.details == {
        "labels.alertname": "x",
        "labels.instance": "9100",
        "labels.flag": "true",
    }


@pytest.mark.parametrize(
    ("item", "title"),
    [
        ({"annotations": {"title": "T", "summary": "S"}, "labels": {"alertname": "A"}}, "T"),
        ({"annotations": {"title": " ", "summary": "S"}, "labels": {"alertname": "A"}}, "S"),
        ({"annotations": {}, "labels": {"alertname": "A"}}, "A"),
        ({}, "New: Alert"),
        ({"annotations": {"title": "x" * 300}}, "x" * 200),
    ],
)
def test_title_fallbacks(item: dict[str, Any], title: str) -> None:
    assert one(item).title == title


def test_runbook_prefers_runbook_over_runbook_url() -> None:
    both = one({"annotations": {"runbook": "a", "runbook_url": "b"}})
    assert both.runbook == "a"
    assert both.details == {"annotations.runbook_url": "b"}
    assert one({"annotations": {"runbook_url": "b"}}).runbook == "b"


def test_details_drop_only_used_annotations() -> None:
    alert = one(
        {
            "labels": {"alertname": "A"},
            "annotations": {"title": "T", "summary": "S", "description": "D", "extra": "E"},
        }
    )
    assert alert.details == {
        "labels.alertname": "A",
        "annotations.summary": "S",
        "annotations.extra": "E",
    }


@pytest.mark.parametrize(
    ("url", "query"),
    [
        ("http://prom:9090/graph?g0.expr=up", "up"),
        (
            "http://prom:9090/graph?g0.expr=rate%28http_requests_total%5B5m%5D%29+%3E+1&g0.tab=1",
            "rate(http_requests_total[5m]) > 1",
        ),
        ("http://prom:9090/graph?g1.expr=up", ""),
        ("http://[::1/graph?g0.expr=up", ""),
        ("", ""),
        (None, ""),
        (12, ""),
    ],
)
def test_full_query(url: object, query: str) -> None:
    assert one({"generatorURL": url}).full_query == query


def test_times() -> None:
    firing = one({"startsAt": "2026-11-29T10:00:00.123456789Z", "endsAt": "0001-01-01T00:00:00Z"})
    assert firing.started_at == datetime(2026, 11, 29, 10, 0, 0, 123456, tzinfo=UTC)
    assert firing.action is Action.TRIGGER
    assert firing.ended_at is None
    assert one({"startsAt": "nonsense"}).started_at == NOW


def test_resolved_without_end_is_now() -> None:
    resolved = one({"status": "resolved", "endsAt": "0001-01-01T00:00:00Z"})
    assert resolved.action is Action.RESOLVE
    assert resolved.ended_at == NOW


def test_item_without_status_uses_group_status() -> None:
    body = envelope({"labels": {"alertname": "x"}})
    body["status"] = "resolved"
    [alert] = parse_alertmanager(body, now=NOW)
    assert alert.action is Action.RESOLVE


def test_label_fields() -> None:
    alert = one(
        {
            "labels": {
                "severity": "Warning",
                "job": "node",
                "host": "h1",
                "env": "prod",
            },
            "annotations": {"gitlab_y_label": "Bytes", "gitlab_incident_markdown": "**md**"},
        }
    )
    assert alert.severity == "low"
    assert alert.service == "node"
    assert alert.hosts == "h1"
    assert alert.environment == "prod"
    assert alert.y_label == "Bytes"
    assert alert.incident_markdown == "**md**"
    assert one({"labels": {"hostname": "h2"}}).hosts == "h2"
    assert one({"labels": {"gitlab_environment_name": "a", "environment": "b"}}).environment == "a"
    assert one({"labels": {}}).severity == "critical"


def test_fingerprint_from_labels_when_none_sent() -> None:
    alert = one({"labels": {"b": "2", "a": "1"}})
    assert alert.fingerprint == sha1("a=1,b=2")
    assert alert.source_key == ""
    assert one({"labels": {"a": "1", "b": "2"}, "fingerprint": ""}).fingerprint == sha1("a=1,b=2")


def test_no_fingerprint_and_no_labels_gives_none() -> None:
    assert one({}).fingerprint is None


def test_items_are_independent() -> None:
    body = envelope(
        {"status": "firing", "fingerprint": "aaa", "labels": {"alertname": "A"}},
        {"status": "resolved", "fingerprint": "bbb", "labels": {"alertname": "B"}},
    )
    original = copy.deepcopy(body)
    first, second = parse_alertmanager(body, now=NOW)
    assert (first.action, second.action) == (Action.TRIGGER, Action.RESOLVE)
    assert (first.fingerprint, second.fingerprint) == (sha1("aaa"), sha1("bbb"))
    assert (first.title, second.title) == ("A", "B")
    assert body == original


@pytest.mark.parametrize(
    ("item_for", "attribute", "limit"),
    [
        (lambda v: {"annotations": {"description": v}}, "description", 1000),
        (lambda v: {"annotations": {"runbook": v}}, "runbook", 1000),
        (lambda v: {"labels": {"service": v}}, "service", 100),
        (lambda v: {"labels": {"instance": v}}, "hosts", 255),
        (lambda v: {"labels": {"environment": v}}, "environment", 100),
        (lambda v: {"annotations": {"gitlab_y_label": v}}, "y_label", 100),
        (lambda v: {"fingerprint": v}, "source_key", 255),
    ],
)
def test_truncation_at_exact_limit(item_for: Any, attribute: str, limit: int) -> None:
    assert getattr(one(item_for("x" * limit)), attribute) == "x" * limit
    assert getattr(one(item_for("y" * (limit + 1))), attribute) == "y" * limit


def test_long_generator_urls_are_read_but_not_remembered() -> None:
    from console.ingest import alertmanager

    url = "http://prom:9090/graph?g0.expr=up&pad=" + "x" * 100_000
    before = alertmanager._remembered_query.cache_info().currsize
    assert one({"generatorURL": url}).full_query == "up"
    assert alertmanager._remembered_query.cache_info().currsize == before
