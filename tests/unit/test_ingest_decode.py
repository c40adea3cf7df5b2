"""Unit tests for console.ingest.decode: size, encoding, syntax and nesting limits."""

from __future__ import annotations

import pytest

from console.ingest.decode import MAX_BODY_BYTES, MAX_DEPTH, decode_json, depth
from console.ingest.normalized import PayloadError


def refusal(raw: bytes) -> PayloadError:
    with pytest.raises(PayloadError) as caught:
        decode_json(raw)
    return caught.value


def nested_arrays(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def nested_objects(levels: int) -> bytes:
    return b'{"a":' * (levels - 1) + b"{}" + b"}" * (levels - 1)


def test_limits() -> None:
    assert MAX_BODY_BYTES == 1024 * 1024
    assert MAX_DEPTH == 100


@pytest.mark.parametrize("raw", [b"", b"   ", b"\r\n\t"])
def test_empty(raw: bytes) -> None:
    error = refusal(raw)
    assert (error.status, error.message) == (400, "body is empty")


def test_invalid_utf8_names_the_byte() -> None:
    error = refusal(b'{"title": "caf\xe9"}')
    assert (error.status, error.message) == (400, "body is not valid UTF-8 (at byte 14)")


def test_encoded_surrogate_is_not_utf8() -> None:
    assert "UTF-8" in refusal(b'"\xed\xa0\x80"').message


@pytest.mark.parametrize(
    "raw", [b"{", b"{'a': 1}", b'{"a": 1,}', b"NaN", b'{"a": NaN}', b"Infinity", b"1e400", b"x"]
)
def test_invalid_json(raw: bytes) -> None:
    error = refusal(raw)
    assert error.status == 400
    assert error.message.startswith("body is not valid JSON: ")
    assert len(error.message) > len("body is not valid JSON: ")


def test_valid_values() -> None:
    assert decode_json(b'{"a": [1, 2.5, "x", null, true]}') == {"a": [1, 2.5, "x", None, True]}
    assert decode_json(b"3") == 3


def test_byte_order_mark_is_forgiven() -> None:
    assert decode_json(b'\xef\xbb\xbf{"a": 1}') == {"a": 1}


@pytest.mark.parametrize("build", [nested_arrays, nested_objects])
def test_depth_100_accepted(build: object) -> None:
    assert callable(build)
    assert decode_json(build(100)) is not None


@pytest.mark.parametrize("build", [nested_arrays, nested_objects])
@pytest.mark.parametrize("levels", [101, 1024, 1025, 100_000])
def test_deeper_refused(build: object, levels: int) -> None:
    assert callable(build)
    error = refusal(build(levels))
    assert (error.status, error.message) == (400, "JSON nesting is deeper than 100 levels")


def test_unterminated_deep_body_refused_without_recursion_error() -> None:
    assert refusal(b"[" * 100_000).status == 400


def test_depth_measure() -> None:
    assert depth(1) == 0
    assert depth([]) == 1
    assert depth({"a": [1, {"b": []}]}) == 4
    deep: object = []
    for _ in range(50_000):
        deep = [deep]
    assert depth(deep) == 50_001


def test_size_limit() -> None:
    at_limit = b'"' + b"x" * (MAX_BODY_BYTES - 2) + b'"'
    assert len(at_limit) == MAX_BODY_BYTES
    assert isinstance(decode_json(at_limit), str)
    error = refusal(at_limit + b" ")
    assert error.status == 413
    assert str(MAX_BODY_BYTES) in error.message


def test_size_checked_before_anything_else() -> None:
    assert refusal(b"\xff" * (MAX_BODY_BYTES + 1)).status == 413
