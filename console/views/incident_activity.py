"""An incident's activity (comments and system notes) as safe HTML, and the note composer.

Comments are Markdown and pass through `console.markdown`; everything else that reaches the
HTML (authors, times) is escaped here, so nothing a note says can become markup.
"""

from __future__ import annotations

import html
from collections.abc import Iterable
from datetime import datetime

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QPlainTextEdit, QWidget

from console.incident_queries import NoteRow
from console.markdown import render

ALL, COMMENTS, HISTORY = "all", "comments", "history"


def when(moment: datetime) -> str:
    """A time as people read it, in their own time zone."""
    return moment.astimezone().strftime("%d %b %Y %H:%M")


def _inline(markdown_text: str) -> str:
    """A one-paragraph Markdown text without its paragraph, to sit on one line."""
    rendered = render(markdown_text).html.strip()
    if rendered.startswith("<p>") and rendered.endswith("</p>") and rendered.count("<p>") == 1:
        return rendered[3:-4]
    return rendered


def activity_html(notes: Iterable[NoteRow], show: str = ALL) -> str:
    """The activity feed, oldest first: comments in full, system notes as one muted line."""
    parts: list[str] = []
    for note in notes:
        author = html.escape(note.author)
        stamp = html.escape(when(note.created_at))
        if note.system:
            if show == COMMENTS:
                continue
            parts.append(
                f'<p class="system">◦ <b>{author}</b> {_inline(note.body)} '
                f'<span class="meta">· {stamp}</span></p>'
            )
        else:
            if show == HISTORY:
                continue
            parts.append(
                '<table class="comment" width="100%" border="1" cellspacing="0" cellpadding="8">'
                f'<tr><th align="left"><b>{author}</b> '
                f'<span class="meta">commented · {stamp}</span></th></tr>'
                f"<tr><td>{render(note.body).html}</td></tr></table><p></p>"
            )
    if not parts:
        return '<p class="meta">No activity yet.</p>'
    return "\n".join(parts)


class NoteComposer(QPlainTextEdit):
    """A Markdown text box that emits `submit` on Ctrl+Enter."""

    submit = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText("Write a note (Markdown) — Ctrl+Enter to post")
        self.setTabChangesFocus(True)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        enter = event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        if enter and event.modifiers() & Qt.KeyboardModifier.ControlModifier:
            self.submit.emit()
            event.accept()
            return
        super().keyPressEvent(event)
