"""Unit tests for console.ingest.mapping: path syntax, extraction and sample-payload paths."""

from __future__ import annotations

import pytest

from console.ingest.mapping import MAPPABLE_FIELDS, extract, parse_path, sample_paths, without


def test_mappable_fields() -> None:
    assert MAPPABLE_FIELDS == {
        "title": "string",
        "description": "string",
        "start_time": "datetime",
        "end_time": "datetime",
        "service": "string",
        "monitoring_tool": "string",
        "hosts": "array",
        "severity": "string",
        "fingerprint": "array",
        "environment": "string",
    }


@pytest.mark.parametrize(
    ("path", "steps"),
    [
        ("title", ["title"]),
        ("a/b[0]/c", ["a", "b", 0, "c"]),
        ("a[0][1]", ["a", 0, 1]),
        ("a/0", ["a", "0"]),
        ("with space/dots.and-dashes]", ["with space", "dots.and-dashes]"]),
        ("[0]/a", [0, "a"]),
        ("[2][3]", [2, 3]),
        ("a[10]", ["a", 10]),
    ],
)
def test_parse_path(path: str, steps: list[str | int]) -> None:
    assert parse_path(path) == steps


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("", "empty"),
        ("a//b", "empty segment"),
        ("/a", "empty segment"),
        ("a/", "empty segment"),
        ("a[0", "unclosed"),
        ("a[", "unclosed"),
        ("a[x]", "non-numeric"),
        ("a[-1]", "non-numeric"),
        ("a[]", "non-numeric"),
        ("a[0]b", "after an index"),
        ("a/[0]", "no key"),
    ],
)
def test_parse_path_malformed(path: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        parse_path(path)


PAYLOAD = {
    "alert": {"name": "Disk full", "tags": ["db", {"deep": "x"}], "count": 3},
    "matrix": [[1, 2], [3, 4]],
    "title": "plain",
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("alert/name", "Disk full"),
        ("alert/tags[0]", "db"),
        ("alert/tags[1]/deep", "x"),
        ("alert/tags", ["db", {"deep": "x"}]),
        ("alert/count", 3),
        ("matrix[1][0]", 3),
        ("title", "plain"),
    ],
)
def test_extract_found(path: str, expected: object) -> None:
    assert extract(PAYLOAD, path) == expected


@pytest.mark.parametrize(
    "path",
    [
        "missing",
        "alert/missing",
        "alert/tags[2]",
        "alert/name/deeper",
        "alert[0]",
        "title[0]",
        "matrix/a",
        "alert/tags[99999999999999999999]",
        "[0]",
    ],
)
def test_extract_missing_is_none(path: str) -> None:
    assert extract(PAYLOAD, path) is None


def test_extract_on_non_containers() -> None:
    assert extract("text", "a") is None
    assert extract(None, "a[0]") is None
    assert extract([{"a": 1}], "[0]/a") == 1


def test_extract_malformed_path_raises_value_error() -> None:
    with pytest.raises(ValueError, match="unclosed"):
        extract(PAYLOAD, "alert[0")


def test_sample_paths_types_and_order() -> None:
    sample = {
        "alert": {"name": "Disk", "when": "2026-11-29T10:15:00Z", "count": 3, "ok": True},
        "hosts": ["a", "2026-01-01", 5, ["n"]],
        "nothing": None,
        "year": "1999",
        "short": "199x",
        "bad/key": "hidden",
        "bad[key": "hidden",
        "": "hidden",
        "empty": [],
    }
    assert sample_paths(sample) == [
        ("alert/name", "string"),
        ("alert/when", "datetime"),
        ("hosts", "array"),
        ("hosts[0]", "string"),
        ("hosts[1]", "datetime"),
        ("hosts[3]", "array"),
        ("hosts[3][0]", "string"),
        ("year", "datetime"),
        ("short", "string"),
        ("empty", "array"),
    ]


def test_sample_paths_round_trip_through_extract() -> None:
    sample = {"a": {"b": ["x", {"c": "y"}]}, "d": [["z"]]}
    for path, _kind in sample_paths(sample):
        assert extract(sample, path) is not None


def test_sample_paths_top_level_array_and_scalars() -> None:
    assert sample_paths([{"a": "x"}]) == [("[0]/a", "string")]
    assert sample_paths("x") == []
    assert sample_paths(3) == []


def test_sample_paths_deep_without_recursion_error() -> None:
    deep: object = "leaf"
    for _ in range(20_000):
        deep = {"k": deep}
    paths = sample_paths(deep)
    assert paths[0][1] == "string"


def test_without_removes_one_value_and_copies() -> None:
    payload = {"alert": {"at": "10:00", "name": "x"}, "list": ["a", "b"]}
    removed = without(payload, "alert/at")
    assert removed == {"alert": {"name": "x"}, "list": ["a", "b"]}
    assert payload == {"alert": {"at": "10:00", "name": "x"}, "list": ["a", "b"]}
    assert without(payload, "list[0]") == {"alert": payload["alert"], "list": [None, "b"]}
    assert without(payload, "missing/path") is payload
