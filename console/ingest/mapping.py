"""Custom field mapping: paths like `a/b[0]/c` that point into an integration's payload.

An integration may read any mappable field from a path instead of the field's default
key. This module parses and follows those paths, and lists the paths a sample payload
offers (with the type GitLab's extractor gives them) so a settings form can offer them.
"""

from __future__ import annotations

import re
from typing import Any, Final

MAPPABLE_FIELDS: Final[dict[str, str]] = {
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

# A segment is a key (anything but `/` and `[`) followed by any number of `[index]`.
_SEGMENT: Final = re.compile(r"([^/\[]*)((?:\[[0-9]+\])*)", re.ASCII)
_INDEX: Final = re.compile(r"\[([0-9]+)\]", re.ASCII)
_DATETIME_PREFIX: Final = re.compile(r"[0-9]{4}", re.ASCII)

Path = list[str | int]


def parse_path(path: str) -> Path:
    """Split `a/b[0]/c` into `["a", "b", 0, "c"]`; raise ValueError saying what is malformed.

    Indices are only written in brackets (`a/0` is the key "0"). Every segment needs a key,
    except that the first may be indices alone (`[0]/a`) to address a top-level array.
    """
    if not path:
        raise ValueError("path is empty")
    steps: Path = []
    for position, segment in enumerate(path.split("/")):
        if not segment:
            raise ValueError(f"path {path!r} has an empty segment")
        match = _SEGMENT.fullmatch(segment)
        if match is None:
            raise ValueError(f"path {path!r}: segment {segment!r} {_segment_problem(segment)}")
        key, indices = match.groups()
        if not key and position > 0:
            raise ValueError(f"path {path!r}: segment {segment!r} has no key before its index")
        if key:
            steps.append(key)
        steps.extend(int(index) for index in _INDEX.findall(indices))
    return steps


def _segment_problem(segment: str) -> str:
    start = segment.index("[")
    rest = segment[start:]
    if "]" not in rest:
        return "has an unclosed '['"
    inner = rest[1 : rest.index("]")]
    if not inner.isascii() or not inner.isdigit():
        return f"has a non-numeric index {inner!r}"
    return "has text after an index; indices must come last"


def extract(payload: object, path: str) -> object | None:
    """Follow `path` into `payload`; None when a key is missing, a type differs or an index
    is out of range. Raises ValueError only when `path` itself is malformed."""
    node: object = payload
    for step in parse_path(path):
        if isinstance(step, int):
            if not isinstance(node, list) or step >= len(node):
                return None
            node = node[step]
        else:
            if not isinstance(node, dict) or step not in node:
                return None
            node = node[step]
    return node


def sample_paths(payload: object) -> list[tuple[str, str]]:
    """List `(path, type)` for every mappable leaf of a sample payload, depth-first in key order.

    As GitLab's extractor: an array is typed `array` and its items are walked as well; a
    string starting with four digits is a `datetime`, any other string a `string`; numbers,
    booleans and nulls are skipped. Keys a path cannot spell (empty, or containing `/` or
    `[`) are skipped with everything under them.
    """
    found: list[tuple[str, str]] = []
    # Explicit stack (children pushed reversed) instead of recursion: depth is the sender's.
    stack: list[tuple[str, Any]] = [("", payload)]
    while stack:
        path, node = stack.pop()
        children: list[tuple[str, Any]] = []
        if isinstance(node, dict):
            for key, child in node.items():
                if isinstance(key, str) and key and "/" not in key and "[" not in key:
                    children.append((f"{path}/{key}" if path else key, child))
        elif isinstance(node, list):
            if path:
                found.append((path, "array"))
            children = [(f"{path}[{index}]", child) for index, child in enumerate(node)]
        elif isinstance(node, str) and path:
            kind = "datetime" if _DATETIME_PREFIX.match(node) else "string"
            found.append((path, kind))
        stack.extend(reversed(children))
    return found


def without(payload: dict[str, Any], path: str) -> dict[str, Any]:
    """Return `payload` with the value at `path` taken out, leaving `payload` itself untouched.

    Only the containers along the path are copied. A removed array item becomes null so the
    indices of its siblings keep their meaning. A path that leads nowhere changes nothing;
    a malformed one raises ValueError.
    """
    steps = parse_path(path)
    if extract(payload, path) is None:
        return payload
    root: dict[str, Any] = dict(payload)
    parent: Any = root
    for step in steps[:-1]:
        # extract() succeeded, so each step exists and has the right container type.
        child = parent[step]
        copied = dict(child) if isinstance(child, dict) else list(child)
        parent[step] = copied
        parent = copied
    last = steps[-1]
    if isinstance(last, int):
        parent[last] = None
    else:
        del parent[last]
    return root
