"""Unit tests for console.ingest.parse_body: shape dispatch, and that bad input is only ever
refused with a PayloadError (the listener must never answer 500 for a sender's mistake)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import console.ingest as ingest
from console.ingest import (
    MAX_BODY_BYTES,
    SEVERITIES,
    Action,
    NormalizedAlert,
    PayloadError,
    parse_body,
)
from tests.conftest import FORMATS

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)


def read(name: str) -> bytes:
    path = FORMATS / name
    if not path.exists():
        pytest.skip(f"{path} is absent")
    return path.read_bytes()


def test_public_names() -> None:
    assert set(ingest.__all__) >= {
        "NormalizedAlert",
        "Action",
        "PayloadError",
        "parse_body",
        "MAX_BODY_BYTES",
        "SEVERITIES",
        "Shape",
    }
    assert MAX_BODY_BYTES == 1024 * 1024


@pytest.mark.parametrize(
    ("name", "shape", "count"),
    [
        ("alertmanager-v4-firing.json", "alertmanager", 1),
        ("alertmanager-v4-resolved.json", "alertmanager", 1),
        ("generic-alert.json", "generic", 1),
        ("generic-alert-recovery.json", "generic", 1),
        ("pagerduty-events-v2-trigger.json", "pagerduty", 1),
    ],
)
def test_real_bodies_dispatch(name: str, shape: str, count: int) -> None:
    got_shape, alerts = parse_body(read(name), now=NOW)
    assert got_shape == shape
    assert len(alerts) == count


def test_alertmanager_beats_pagerduty_and_generic() -> None:
    body = {"alerts": [], "receiver": "x", "event_action": "trigger", "title": "t"}
    with pytest.raises(PayloadError) as caught:
        parse_body(orjson.dumps(body), now=NOW)
    assert "missing required keys" in caught.value.message


def test_pagerduty_beats_generic() -> None:
    body = {"event_action": "resolve", "dedup_key": "k", "title": "t"}
    shape, [alert] = parse_body(orjson.dumps(body), now=NOW)
    assert shape == "pagerduty"
    assert alert.action is Action.RESOLVE


def test_mapping_applies_to_generic() -> None:
    raw = orjson.dumps({"alert": {"name": "Mapped"}, "title": "Default"})
    assert parse_body(raw, mapping={"title": "alert/name"}, now=NOW)[1][0].title == "Mapped"
    assert parse_body(raw, now=NOW)[1][0].title == "Default"


def test_now_defaults_to_current_utc() -> None:
    before = datetime.now(UTC)
    [alert] = parse_body(b"{}")[1]
    assert before <= alert.started_at <= datetime.now(UTC)


def test_naive_now_is_utc() -> None:
    [alert] = parse_body(b"{}", now=datetime(2026, 11, 29, 15, 0))[1]
    assert alert.started_at == NOW


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        (b"[]", "an array"),
        (b'"text"', "a string"),
        (b"3", "a number"),
        (b"2.5", "a number"),
        (b"true", "a boolean"),
        (b"null", "null"),
    ],
)
def test_body_must_be_an_object(raw: bytes, kind: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_body(raw, now=NOW)
    assert caught.value.status == 400
    assert caught.value.message == f"body must be a JSON object, got {kind}"


def test_decode_errors_surface() -> None:
    with pytest.raises(PayloadError) as caught:
        parse_body(b" " * (MAX_BODY_BYTES + 1), now=NOW)
    assert caught.value.status == 413


# --- property: nothing but PayloadError -------------------------------------------------------

# Keys every parser reads, so random bodies reach deep into each of them.
KNOWN_KEYS = [
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
    "version",
    "groupKey",
    "status",
    "receiver",
    "groupLabels",
    "commonLabels",
    "commonAnnotations",
    "externalURL",
    "alerts",
    "labels",
    "annotations",
    "startsAt",
    "endsAt",
    "generatorURL",
    "alertname",
    "summary",
    "instance",
    "event_action",
    "dedup_key",
    "routing_key",
    "payload",
    "source",
    "timestamp",
    "custom_details",
    "links",
    "href",
    "text",
    "client",
    "component",
    "group",
    "a",
    "b",
]
KNOWN_VALUES = [
    "4",
    "3",
    "trigger",
    "acknowledge",
    "resolve",
    "resolved",
    "firing",
    "critical",
    "P2",
    "2026-11-29T10:15:00Z",
    "0001-01-01T00:00:00Z",
    "2022-010-30T11:22:40Z",
    "1795947300",
    "http://[::1/graph?g0.expr=up",
    "http://p/graph?g0.expr=up",
    "runbook",
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(KNOWN_VALUES)
)
keys = st.sampled_from(KNOWN_KEYS) | st.text(max_size=8)
json_values = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=6),
    max_leaves=40,
)
alert_items = st.dictionaries(st.sampled_from(KNOWN_KEYS), json_values, max_size=8)
shaped_bodies = st.one_of(
    # Alertmanager envelopes with random items.
    st.fixed_dictionaries(
        {
            key: json_values
            for key in (
                "groupKey",
                "status",
                "receiver",
                "groupLabels",
                "commonLabels",
                "commonAnnotations",
                "externalURL",
            )
        }
        | {"version": st.just("4"), "alerts": st.lists(alert_items, max_size=3)}
    ),
    # PagerDuty events with random payloads.
    st.fixed_dictionaries(
        {"event_action": st.sampled_from(["trigger", "acknowledge", "resolve", "x"])},
        optional={
            "dedup_key": json_values,
            "payload": alert_items | json_values,
            "links": json_values,
            "client": json_values,
        },
    ),
    # Generic bodies built from the standard keys.
    alert_items,
)
mappings = st.dictionaries(
    st.sampled_from(["title", "start_time", "end_time", "hosts", "fingerprint", "severity"]),
    st.sampled_from(["a", "a/b", "a[0]", "a[0]/b", "b[1][0]", "a[", "a//b", "", "[0]"]),
    max_size=4,
)
HEX40 = re.compile(r"[0-9a-f]{40}")


def check_alert(alert: NormalizedAlert) -> None:
    assert isinstance(alert.action, Action)
    assert alert.severity in SEVERITIES
    assert alert.fingerprint is None or HEX40.fullmatch(alert.fingerprint)
    assert alert.title.strip()
    assert len(alert.title) <= 200
    assert len(alert.description) <= 1000
    assert len(alert.service) <= 100
    assert len(alert.monitoring_tool) <= 100
    assert len(alert.hosts) <= 255
    assert alert.started_at.utcoffset() == timedelta(0)
    assert alert.ended_at is None or alert.ended_at.utcoffset() == timedelta(0)
    assert (alert.ended_at is not None) == (alert.action is Action.RESOLVE)
    assert len(alert.details) <= 500
    assert all(isinstance(v, str) and len(v) <= 1000 for v in alert.details.values())


def only_payload_errors(body: Any, mapping: dict[str, str]) -> None:
    raw = orjson.dumps(body)
    try:
        _shape, alerts = parse_body(raw, mapping=mapping, now=NOW)
    except PayloadError as error:
        assert error.status in (400, 413, 422)
        assert error.message
        return
    for alert in alerts:
        check_alert(alert)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=json_values, mapping=mappings)
def test_arbitrary_json_only_raises_payload_error(body: Any, mapping: dict[str, str]) -> None:
    only_payload_errors(body, mapping)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(body=shaped_bodies, mapping=mappings)
def test_shaped_bodies_only_raise_payload_error(body: Any, mapping: dict[str, str]) -> None:
    only_payload_errors(body, mapping)


@settings(max_examples=100, deadline=None)
@given(raw=st.binary(max_size=200))
def test_arbitrary_bytes_only_raise_payload_error(raw: bytes) -> None:
    try:
        parse_body(raw, now=NOW)
    except PayloadError as error:
        assert error.status == 400
