"""Small text helpers shared by the core and the views."""

from __future__ import annotations


def one_line(text: str) -> str:
    """`text` on one line: line breaks, tabs and runs of spaces become single spaces, and
    the ends are trimmed (a mail subject, a chat message head, a table row)."""
    if text.isprintable() and "  " not in text and text[:1] != " " and text[-1:] != " ":
        return text  # the common case, asked for every painted row: no new string
    return " ".join(text.split())
