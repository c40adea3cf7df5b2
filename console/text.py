"""Small text helpers shared by the core and the views."""

from __future__ import annotations

from collections.abc import Iterable


def not_utf8(texts: Iterable[str]) -> str | None:
    """The first of `texts` that is not valid UTF-8 text, or None.

    Python keeps the bytes of an undecodable command-line argument as lone surrogates,
    which no store, JSON document or terminal accepts: such text must be refused where it
    enters, with a message, not fail deep inside a write."""
    for text in texts:
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return text
    return None


def one_line(text: str) -> str:
    """`text` on one line: line breaks, tabs and runs of spaces become single spaces, and
    the ends are trimmed (a mail subject, a chat message head, a table row)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # the common case, asked for every painted row: no new string
    return " ".join(text.split())
