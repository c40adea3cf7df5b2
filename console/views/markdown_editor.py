"""A Markdown text that reads rendered and edits side by side with a live preview.

Used for incident descriptions (and meant for templates): the rendered text shows until
Edit is pressed; then the source and its preview sit side by side, the preview following
the typing after a short pause. Lines of metric links show as live charts under the text
(`console.views.charts`) in both. Saving is the owner's business: `save_requested(text)`.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from console.views.charts import ChartStrip, with_charts
from console.views.markdown_browser import MarkdownBrowser

PREVIEW_DELAY_MS = 150
EMPTY = "*No description.*"


class MarkdownEditor(QWidget):
    """Rendered Markdown with an Edit mode; emits `save_requested(text)` on Save."""

    save_requested = Signal(str)

    def __init__(self, title: str, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.text = ""
        self.view = MarkdownBrowser()
        self.editor = QPlainTextEdit()
        self.editor.setPlaceholderText(placeholder)
        self.preview = MarkdownBrowser()
        self.view_charts = ChartStrip()
        self.preview_charts = ChartStrip()
        self.edit_button = QPushButton("Edit")
        self.save_button = QPushButton("Save")
        self.cancel_button = QPushButton("Cancel")
        self._preview_delay = QTimer(self)
        self._preview_delay.setSingleShot(True)
        self._preview_delay.setInterval(PREVIEW_DELAY_MS)
        self._preview_delay.timeout.connect(self._update_preview)

        editing = QWidget()
        edit_layout = QVBoxLayout(editing)
        edit_layout.setContentsMargins(0, 0, 0, 0)
        side_by_side = QSplitter(Qt.Orientation.Horizontal)
        side_by_side.addWidget(self.editor)
        side_by_side.addWidget(with_charts(self.preview, self.preview_charts))
        edit_layout.addWidget(side_by_side, 1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        edit_layout.addLayout(buttons)
        self.stack = QStackedWidget()
        self.stack.addWidget(with_charts(self.view, self.view_charts))
        self.stack.addWidget(editing)

        heading = QLabel(title)
        font = heading.font()
        font.setBold(True)
        heading.setFont(font)
        head = QHBoxLayout()
        head.addWidget(heading)
        head.addStretch(1)
        head.addWidget(self.edit_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(head)
        layout.addWidget(self.stack, 1)

        self.edit_button.clicked.connect(self.start_editing)
        self.cancel_button.clicked.connect(self.stop_editing)
        self.save_button.clicked.connect(
            lambda: self.save_requested.emit(self.editor.toPlainText())
        )
        self.editor.textChanged.connect(self._preview_delay.start)

    @property
    def is_editing(self) -> bool:
        """Whether the editor is open."""
        return self.stack.currentIndex() == 1

    def set_reference(self, moment: datetime | None) -> None:
        """The moment relative chart ranges refer to (an incident's alert start)."""
        self.view.reference = moment
        self.preview.reference = moment

    def set_text(self, text: str) -> None:
        """Show `text` rendered (the editor, if open, keeps what is being typed)."""
        if text != self.text or not self.view.rendered.html:
            self.text = text
            self.view_charts.set_embeds(self.view.set_markdown_text(text or EMPTY).embeds)

    def set_dark(self, dark: bool) -> None:
        """Follow the theme."""
        self.view.set_dark(dark)
        self.preview.set_dark(dark)

    def start_editing(self) -> None:
        """Open the editor on the current text, with its live preview."""
        self.editor.setPlainText(self.text)
        self._update_preview()
        self.stack.setCurrentIndex(1)
        self.edit_button.setEnabled(False)
        self.editor.setFocus()

    def stop_editing(self) -> None:
        """Close the editor (without saving)."""
        self.preview_charts.clear()
        self.stack.setCurrentIndex(0)
        self.edit_button.setEnabled(True)  # the whole editor is disabled when there is no text

    def _save(self) -> None:
        self.save_requested.emit(self.editor.toPlainText())

    def _update_preview(self) -> None:
        rendered = self.preview.set_markdown_text(self.editor.toPlainText())
        self.preview_charts.set_embeds(rendered.embeds)
