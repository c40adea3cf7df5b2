"""Any input, over real HTTP: never a 5xx but the overload 503, always a JSON error on 4xx.

Property-based: random JSON, bodies shaped like each payload kind with wrong types, nulls,
arrays where strings belong and odd timestamps, deep nesting, huge strings, invalid UTF-8,
random headers, paths and methods. The listener must keep serving throughout.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.ingest.generic import STANDARD_KEYS
from tests.conftest import FUZZ, Endpoint, RunningListener, listener_with_endpoint

ALLOWED = {200, 202, 400, 404, 405, 409, 413, 422, 503}
ODD_TIMES = [
    "2022-010-30T11:22:40Z",
    "2026-11-29T10:15:00Z",
    "2026-11-29T10:15:00",
    "2026-11-29",
    "2026-11-29T10:15:00.123456789+05:30",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59Z",
    1796000000,
    1796000000000,
    -1,
    0,
    1e300,
    "1796000000",
    "yesterday",
    "",
    True,
    None,
    [],
    {},
    ["2026-11-29T10:15:00Z"],
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=25,
)
field_values = st.one_of(json_values, st.sampled_from(ODD_TIMES))
GENERIC_KEYS = sorted(STANDARD_KEYS)  # every key the generic parser reads
generic_bodies = st.dictionaries(st.sampled_from(GENERIC_KEYS), field_values, max_size=12)
am_alert = st.dictionaries(
    st.sampled_from(
        ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"]
    ),
    st.one_of(field_values, st.dictionaries(st.text(max_size=8), field_values, max_size=4)),
)
am_bodies = st.fixed_dictionaries(
    {
        "version": st.sampled_from(["4", "3", 4, None]),
        "groupKey": field_values,
        "status": field_values,
        "receiver": field_values,
        "groupLabels": json_values,
        "commonLabels": json_values,
        "commonAnnotations": json_values,
        "externalURL": field_values,
        "alerts": st.one_of(st.lists(am_alert, max_size=4), field_values),
    },
)
pd_bodies = st.fixed_dictionaries(
    {
        "routing_key": field_values,
        "event_action": st.one_of(
            st.sampled_from(["trigger", "acknowledge", "resolve"]), field_values
        ),
        "dedup_key": field_values,
        "payload": st.one_of(
            st.dictionaries(
                st.sampled_from(["summary", "source", "severity", "timestamp", "custom_details"]),
                field_values,
            ),
            field_values,
        ),
    },
)


def deep(levels: int) -> bytes:
    return b'{"title": ' + b"[" * levels + b"]" * levels + b"}"


raw_bodies = st.one_of(
    st.binary(max_size=200),
    st.sampled_from(
        [
            deep(99),
            deep(100),
            deep(101),
            deep(50_000),
            b"\xff\xfe{}",
            b'{"a":"\xed\xa0\x80"}',
            b'{"title": "' + b"x" * 300_000 + b'"}',
            b"{" * 10_000,
            b"nul\x00l",
        ]
    ),
)


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[tuple[RunningListener, Endpoint]]:
    with listener_with_endpoint(tmp_path_factory.mktemp("fuzz"), "fuzz") as running:
        yield running


def check(response: httpx.Response) -> None:
    assert response.status_code in ALLOWED, (response.status_code, response.text[:300])
    if response.status_code >= 400:
        assert response.headers["content-type"].startswith("application/json")
        assert isinstance(response.json()["error"], str) and response.json()["error"]


@FUZZ
@given(body=st.one_of(json_values, generic_bodies, am_bodies, pd_bodies))
def test_any_json_body(running, body):
    _listener, endpoint = running
    content = json.dumps(body).encode()  # stdlib: also writes integers beyond 64 bits
    check(httpx.post(endpoint.url, content=content, headers=endpoint.headers, timeout=10))


@FUZZ
@given(content=raw_bodies)
def test_any_bytes(running, content):
    _listener, endpoint = running
    check(httpx.post(endpoint.url, content=content, headers=endpoint.headers, timeout=10))


@FUZZ
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]),
    path=st.one_of(
        st.text(alphabet="abcdef0123456789/._-%", max_size=40),
        st.sampled_from(
            [
                "alerts/notify/x/y.json",
                "alerts/notify/a/0123456789abcdef.json",
                "healthz",
                "metrics",
                "slack/commands",
            ]
        ),
    ),
    authorization=st.one_of(
        st.none(), st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60)
    ),
)
def test_any_route_method_and_auth(running, method, path, authorization):
    listener, _endpoint = running
    authorization = (authorization or "").strip()  # HTTP clients refuse padded header values
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.request(
        method, f"{listener.base}/{path}", headers=headers, content=b"{}", timeout=10
    )
    assert response.status_code < 500, (method, path, response.status_code, response.text[:200])
    if response.status_code >= 400 and method != "HEAD":
        assert response.json()["error"]


def test_listener_still_serves_after_the_fuzz(running):
    listener, endpoint = running
    assert httpx.get(f"{listener.base}/healthz", timeout=10).status_code == 200
    response = httpx.post(
        endpoint.url, json={"title": "still here"}, headers=endpoint.headers, timeout=10
    )
    assert response.status_code == 200
