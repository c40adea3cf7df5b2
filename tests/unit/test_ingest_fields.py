"""Unit tests for console.ingest.fields: times, text, hosts, severity and details flattening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from console.ingest.fields import (
    SEVERITIES,
    flatten,
    flatten_text_maps,
    hosts,
    is_blank,
    is_no_time,
    parse_time,
    severity,
    text,
)
from console.ingest.normalized import PayloadError

NOW = datetime(2026, 11, 29, 15, 0, tzinfo=UTC)

ALIASES = {
    "critical": ["critical", "s1", "p1", "emergency", "fatal"],
    "high": ["high", "s2", "p2", "major", "page"],
    "medium": ["medium", "s3", "p3", "error", "alert"],
    "low": ["low", "s4", "p4", "warn", "warning", "minor"],
    "info": ["info", "s5", "p5", "debug", "information", "notice"],
}


# --- severity ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("alias", "expected"),
    [(alias, level) for level, aliases in ALIASES.items() for alias in aliases],
)
def test_severity_alias(alias: str, expected: str) -> None:
    assert severity(alias) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("CRITICAL", "critical"),
        ("High", "high"),
        ("  P3 ", "medium"),
        ("WaRnInG", "low"),
        ("\tNotice\n", "info"),
    ],
)
def test_severity_is_case_insensitive_and_stripped(raw: str, expected: str) -> None:
    assert severity(raw) == expected


@pytest.mark.parametrize(
    "raw", ["unknown", "", "  ", "sev1", "p0", "crit", None, 1, 2.5, True, ["high"], {"a": "low"}]
)
def test_severity_anything_else_is_critical(raw: object) -> None:
    assert severity(raw) == "critical"


def test_severities_in_rank_order() -> None:
    assert SEVERITIES == ("critical", "high", "medium", "low", "info", "unknown")


# --- parse_time -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("2026-11-29T10:15:00Z", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29t10:15:00z", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29T12:15:00+02:00", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29T05:45:00-0430", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29T11:15:00+01", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29T14:38:44.961092Z", datetime(2026, 11, 29, 14, 38, 44, 961092, tzinfo=UTC)),
        ("2026-11-29T14:38:44.961092123Z", datetime(2026, 11, 29, 14, 38, 44, 961092, tzinfo=UTC)),
        ("2026-11-29T14:38:44.5Z", datetime(2026, 11, 29, 14, 38, 44, 500000, tzinfo=UTC)),
        ("2026-11-29T14:38:44,25Z", datetime(2026, 11, 29, 14, 38, 44, 250000, tzinfo=UTC)),
        ("2026-11-29T10:15:00", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29 10:15:00", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29T10:15Z", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2026-11-29", datetime(2026, 11, 29, tzinfo=UTC)),
        ("  2026-11-29T10:15:00Z  ", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2016, 12, 31, 23, 59, 59, tzinfo=UTC)),
        (1795947300, datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        (1795947300.5, datetime(2026, 11, 29, 10, 15, 0, 500000, tzinfo=UTC)),
        ("1795947300", datetime(2026, 11, 29, 10, 15, tzinfo=UTC)),
        (1795947300123, datetime(2026, 11, 29, 10, 15, 0, 123000, tzinfo=UTC)),
        ("1795947300123", datetime(2026, 11, 29, 10, 15, 0, 123000, tzinfo=UTC)),
    ],
)
def test_parse_time_accepts(raw: object, expected: datetime) -> None:
    parsed = parse_time(raw, now=NOW)
    assert parsed == expected
    assert parsed is not None
    assert parsed.utcoffset() == timedelta(0)


@pytest.mark.parametrize(
    "raw",
    [
        None,
        "",
        "   ",
        "2022-010-30T11:22:40Z",
        "0001-01-01T00:00:00Z",
        "yesterday",
        "2026-13-01T00:00:00Z",
        "2026-02-30",
        "2026-11-29T25:00:00Z",
        "2026-11-29T10:15:00+24:00",
        "2026-11-29T10:15:00 UTC",
        "29/11/2026",
        "2026-W48-1",
        True,
        False,
        [],
        ["2026-11-29T10:15:00Z"],
        {"t": "2026-11-29T10:15:00Z"},
        float("nan"),
        float("inf"),
        -1,
        0,
        "-1795947300",
        "1970-01-01T00:00:00Z",
        10**30,
        "9" * 400,
        10**400,
        "9999-12-31T23:59:59Z",
    ],
)
def test_parse_time_refuses(raw: object) -> None:
    assert parse_time(raw, now=NOW) is None


def test_parse_time_horizon_is_relative_to_now() -> None:
    assert parse_time("2126-01-01T00:00:00Z", now=NOW) is not None
    assert parse_time("2128-01-01T00:00:00Z", now=NOW) is None


def test_parse_time_remembers_texts_but_not_the_horizon() -> None:
    # The same text read twice (the second time remembered) against two different `now`s.
    text = "2120-06-01T00:00:00Z"
    assert parse_time(text, now=NOW) == datetime(2120, 6, 1, tzinfo=UTC)
    assert parse_time(text, now=datetime(2010, 1, 1, tzinfo=UTC)) is None
    assert parse_time(text, now=NOW) == datetime(2120, 6, 1, tzinfo=UTC)


def test_long_time_texts_are_read_but_not_remembered() -> None:
    from console.ingest import fields

    padded = "2026-11-29T10:00:00Z" + " " * 5000  # a sender's junk must not be kept
    before = fields._remembered_text.cache_info().currsize
    assert parse_time(padded, now=NOW) == datetime(2026, 11, 29, 10, tzinfo=UTC)
    assert fields._remembered_text.cache_info().currsize == before


def test_parse_time_millisecond_threshold() -> None:
    # 1e11 seconds would be the year 5138, so larger values are read as milliseconds.
    assert parse_time(10**11 + 1, now=NOW) == datetime(1973, 3, 3, 9, 46, 40, 1000, tzinfo=UTC)


def test_parse_time_converts_offsets_to_utc() -> None:
    parsed = parse_time("2026-11-29T23:30:00-05:00", now=NOW)
    assert parsed == datetime(2026, 11, 30, 4, 30, tzinfo=UTC)
    assert parsed is not None
    assert parsed.tzinfo == UTC


def test_parse_time_accepts_naive_now() -> None:
    naive = datetime(2026, 11, 29, 15, 0)
    assert parse_time("2026-11-29T10:15:00Z", now=naive) == datetime(
        2026, 11, 29, 10, 15, tzinfo=UTC
    )


def test_parse_time_with_other_zone_now() -> None:
    other = datetime(2026, 11, 29, 15, 0, tzinfo=timezone(timedelta(hours=9)))
    assert parse_time("2026-11-29", now=other) == datetime(2026, 11, 29, tzinfo=UTC)


def test_is_no_time() -> None:
    assert is_no_time("0001-01-01T00:00:00Z")
    assert not is_no_time("2026-11-29T10:15:00Z")
    assert not is_no_time(None)


# --- text ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (None, ""),
        ("as is ", "as is "),
        (True, "true"),
        (False, "false"),
        (3, "3"),
        (2.5, "2.5"),
        (-7, "-7"),
    ],
)
def test_text_values(raw: object, expected: str) -> None:
    assert text(raw, "title", 200) == expected


def test_text_cut_at_exact_limit() -> None:
    assert text("x" * 200, "title", 200) == "x" * 200
    assert text("x" * 201, "title", 200) == "x" * 200
    assert text("é" * 300, "title", 200) == "é" * 200


@pytest.mark.parametrize(("raw", "kind"), [(["a"], "an array"), ({"a": 1}, "an object")])
def test_text_refuses_containers(raw: object, kind: str) -> None:
    with pytest.raises(PayloadError) as caught:
        text(raw, "service", 100)
    assert caught.value.status == 400
    assert caught.value.message == f"field 'service' must be a string, got {kind}"


# --- hosts -----------------------------------------------------------------------------


def test_hosts_string() -> None:
    assert hosts("db01") == "db01"


def test_hosts_array_joined_with_spaces() -> None:
    assert hosts(["web-1", "web-2", 3, None, True]) == "web-1 web-2 3 true"


def test_hosts_none_and_empty() -> None:
    assert hosts(None) == ""
    assert hosts([]) == ""


@pytest.mark.parametrize("raw", [["a", ["b"]], ["a", {"b": 1}], {"a": "b"}])
def test_hosts_nested_refused(raw: object) -> None:
    with pytest.raises(PayloadError) as caught:
        hosts(raw)
    assert caught.value.status == 400
    assert "nested arrays are not allowed" in caught.value.message
    assert "'hosts'" in caught.value.message


def test_hosts_cut_at_255() -> None:
    assert hosts("h" * 255) == "h" * 255
    assert hosts("h" * 256) == "h" * 255
    assert hosts(["a" * 200, "b" * 200]) == "a" * 200 + " " + "b" * 54


# --- is_blank --------------------------------------------------------------------------


@pytest.mark.parametrize("raw", [None, "", "  \n", [], {}])
def test_is_blank(raw: object) -> None:
    assert is_blank(raw)


@pytest.mark.parametrize("raw", ["x", 0, False, [None], {"a": None}])
def test_is_not_blank(raw: object) -> None:
    assert not is_blank(raw)


# --- flatten ---------------------------------------------------------------------------


def test_flatten_nested_objects_and_arrays() -> None:
    assert flatten(
        {
            "custom": {"region": "eu", "p95": 2310, "ok": True, "none": None},
            "hosts": ["a", {"b": 2.5}],
            "empty": [],
            "obj": {},
        }
    ) == {
        "custom.region": "eu",
        "custom.p95": "2310",
        "custom.ok": "true",
        "custom.none": "null",
        "hosts.0": "a",
        "hosts.1.b": "2.5",
        "empty": "[]",
        "obj": "{}",
    }


def test_flatten_keeps_key_order() -> None:
    assert list(flatten({"b": 1, "a": {"z": 1, "y": 2}, "c": 3})) == ["b", "a.z", "a.y", "c"]


def test_flatten_prefix() -> None:
    assert flatten({"a": 1}, "root") == {"root.a": "1"}
    assert flatten("x", "root") == {"root": "x"}


def test_flatten_bare_root_gives_nothing() -> None:
    assert flatten({}) == {}
    assert flatten("x") == {}


def test_flatten_caps_keys_at_500() -> None:
    flat = flatten({f"k{i}": i for i in range(2000)})
    assert len(flat) == 500
    assert list(flat)[-1] == "k499"


def test_flatten_caps_values_and_keys_at_1000_chars() -> None:
    flat = flatten({"v": "x" * 5000, "k" * 5000: 1})
    assert flat["v"] == "x" * 1000
    assert [key for key in flat if key.startswith("k")] == ["k" * 1000]


def test_flatten_deep_value_without_recursion_error() -> None:
    deep: object = "leaf"
    for _ in range(50_000):
        deep = [deep]
    flat = flatten({"d": deep})
    assert len(flat) == 1
    assert next(iter(flat.values())) == "leaf"


# Keys and values short and long (cut at 1,000), with names that collide once cut.
_NAMES = st.one_of(st.text(max_size=8), st.sampled_from(["k" * 1200, "k" * 1300, ""]))
_VALUES = st.one_of(st.text(max_size=8), st.just("v" * 1500))


@settings(deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(
    st.dictionaries(
        st.sampled_from(["labels", "annotations", "", "g" * 1100]),
        st.dictionaries(_NAMES, _VALUES, max_size=150),
        max_size=4,
    )
)
def test_flatten_text_maps_is_flatten_for_maps_of_text(groups: dict[str, dict[str, str]]) -> None:
    assert flatten_text_maps(groups) == flatten(groups)
    assert list(flatten_text_maps(groups)) == list(flatten(groups))


def test_flatten_text_maps_caps_keys_at_500() -> None:
    groups = {
        "labels": {f"l{i}": "x" for i in range(400)},
        "annotations": {f"a{i}": "y" for i in range(400)},
    }
    flat = flatten_text_maps(groups)
    assert len(flat) == 500
    assert list(flat)[-1] == "annotations.a99"
    assert flat == flatten(groups)
