"""Unit tests for console.ingest.fingerprint: sent fingerprints and payload fingerprints."""

from __future__ import annotations

import hashlib

import pytest

from console.ingest.fingerprint import of_payload, of_value
from console.ingest.normalized import PayloadError


def sha1(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()


@pytest.mark.parametrize(
    ("raw", "joined"),
    [
        ("checkout-latency", "checkout-latency"),
        (" padded ", " padded "),
        (["a", "b"], "ab"),
        (["a", ["b", ["c", "d"]], "e"], "abcde"),
        (42, "42"),
        (2.5, "2.5"),
        (["host", 1, None, True], "host1true"),
    ],
)
def test_of_value_hashes_joined_text(raw: object, joined: str) -> None:
    assert of_value(raw) == sha1(joined)


def test_of_value_string_and_one_item_array_agree() -> None:
    assert of_value("abc") == of_value(["abc"]) == of_value([["a"], "bc"])


@pytest.mark.parametrize("raw", [None, "", "   ", [], [[]], [""], [None, " "]])
def test_of_value_blank_is_none(raw: object) -> None:
    assert of_value(raw) is None


@pytest.mark.parametrize("raw", [{"a": 1}, ["a", {"b": 1}], {}])
def test_of_value_refuses_objects(raw: object) -> None:
    with pytest.raises(PayloadError) as caught:
        of_value(raw)
    assert caught.value.status == 400
    assert caught.value.message == "field 'fingerprint' must be a string or an array"


def test_of_value_deep_array_without_recursion_error() -> None:
    deep: object = "x"
    for _ in range(50_000):
        deep = [deep]
    assert of_value(deep) == sha1("x")


def test_of_payload_ignores_volatile_keys() -> None:
    base = {"title": "Disk full", "custom": {"region": "eu"}}
    with_volatile = {
        **base,
        "start_time": "2026-11-29T10:15:00Z",
        "end_time": "2026-11-29T10:20:00Z",
        "hosts": ["a", "b"],
    }
    assert of_payload(base) == of_payload(with_volatile)
    assert of_payload(base) is not None


def test_of_payload_stable_under_key_order() -> None:
    one = {"a": 1, "b": {"x": 1, "y": [1, {"p": 1, "q": 2}]}}
    two = {"b": {"y": [1, {"q": 2, "p": 1}], "x": 1}, "a": 1}
    assert of_payload(one) == of_payload(two)


def test_of_payload_differs_on_content() -> None:
    assert of_payload({"title": "a"}) != of_payload({"title": "b"})
    assert of_payload({"list": [1, 2]}) != of_payload({"list": [2, 1]})


def test_of_payload_extra_exclusions() -> None:
    one = {"title": "a", "when": "10:00"}
    two = {"title": "a", "when": "11:00"}
    assert of_payload(one) != of_payload(two)
    assert of_payload(one, exclude=["when"]) == of_payload(two, exclude=("when",))


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"start_time": "2026-11-29T10:15:00Z", "hosts": "a"},
        {"title": "", "description": None, "tags": [], "custom": {}, "blank": "  "},
    ],
)
def test_of_payload_all_blank_is_none(payload: dict[str, object]) -> None:
    assert of_payload(payload) is None


def test_of_payload_is_sha1_hex() -> None:
    digest = of_payload({"title": "x"})
    assert digest is not None
    assert len(digest) == 40
    int(digest, 16)


def test_of_payload_unserializable_is_payload_error() -> None:
    with pytest.raises(PayloadError):
        of_payload({"n": 2**70})
