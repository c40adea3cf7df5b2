"""A read-only view of rendered Markdown that follows no link and fetches nothing by itself.

Links are routed: http, https and mailto open in the user's browser or mail program;
`incident-console://incident/<n>` and `.../alert/<n>` open inside the console; anything else
is ignored. `loadResource` answers nothing, so no image or stylesheet is ever fetched.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from PySide6.QtCore import QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QTextBrowser, QWidget

from console.markdown import RenderedMarkdown, render
from console.views.theme import markdown_css

EXTERNAL_SCHEMES = ("http", "https", "mailto")
CONSOLE_SCHEME = "incident-console"


class MarkdownBrowser(QTextBrowser):
    """Shows Markdown safely; emits `open_incident` / `open_alert` for console links."""

    open_incident = Signal(int)
    open_alert = Signal(int)
    console_link = Signal(QUrl)  # any other incident-console:// link, for later features

    def __init__(self, parent: QWidget | None = None, *, dark: bool = False) -> None:
        super().__init__(parent)
        self.setOpenExternalLinks(False)
        self.setOpenLinks(False)
        self.anchorClicked.connect(self.follow)
        self.rendered = RenderedMarkdown("", [])
        # Relative chart ranges in the text end here (an alert's start), or now when None.
        self.reference: datetime | None = None
        self.set_dark(dark)

    def set_dark(self, dark: bool) -> None:
        """Match the rendered text to the theme."""
        self.document().setDefaultStyleSheet(markdown_css(dark))
        if self.rendered.html:
            self.setHtml(self.rendered.html)

    def set_markdown_text(self, text: str) -> RenderedMarkdown:
        """Render `text` and show it, keeping the scroll position across live updates."""
        position = self.verticalScrollBar().value()
        self.rendered = render(text, self.reference)
        self.setHtml(self.rendered.html)
        self.verticalScrollBar().setValue(position)
        return self.rendered

    def set_html_safely(self, rendered_html: str) -> None:
        """Show HTML the caller built only from `console.markdown` output and escaped text."""
        position = self.verticalScrollBar().value()
        self.rendered = RenderedMarkdown(rendered_html, [])
        self.setHtml(rendered_html)
        self.verticalScrollBar().setValue(position)

    def loadResource(self, kind: int, name: QUrl | str) -> Any:
        """Fetch nothing: no image, no stylesheet, not even a local file."""
        return None

    def follow(self, url: QUrl) -> None:
        """Open a clicked link where it belongs, or nowhere."""
        scheme = url.scheme().lower()
        if scheme in EXTERNAL_SCHEMES:
            QDesktopServices.openUrl(url)
        elif scheme == CONSOLE_SCHEME:
            self.follow_console_link(url)

    def follow_console_link(self, url: QUrl) -> None:
        """`incident-console://incident/<n>` or `.../alert/<n>` open in the console."""
        kind = url.host().lower()
        number = url.path().strip("/")
        if number.isdigit() and kind == "incident":
            self.open_incident.emit(int(number))
        elif number.isdigit() and kind == "alert":
            self.open_alert.emit(int(number))
        else:
            self.console_link.emit(url)
