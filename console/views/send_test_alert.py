"""Send test alert: a JSON editor that posts to the running listener and shows its answer.

The body starts as the example for the integration's type (`console.admin.examples`).
The post runs on a worker thread (httpx, blocking) and its answer comes back through a
queued signal, so the window never waits on the network. Tokens are stored hashed: the
form uses the token just shown when the integration was created or its token regenerated,
and otherwise asks for it and says why.
"""

from __future__ import annotations

import contextlib
import json
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

import httpx
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QFontDatabase
from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.admin.examples import example_text

POST_TIMEOUT_S = 10.0
HASHED_NOTE = (
    "Tokens are stored hashed, so the console cannot read this integration's token back. "
    "Paste the token shown when it was created, or regenerate it (the old one then stops "
    "working) and it is filled in here."
)


@dataclass(frozen=True, slots=True)
class Answer:
    """What the listener answered: status, reason and body text."""

    status: int
    reason: str
    body: str


def post_alert(url: str, token: str, body: bytes) -> Answer:
    """POST `body` to `url` with the token as Bearer (blocking: call it off the GUI thread)."""
    response = httpx.post(
        url,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        timeout=POST_TIMEOUT_S,
    )
    return Answer(response.status_code, response.reason_phrase, response.text)


def json_problem(text: str) -> str | None:
    """Why `text` is not JSON (with line and column), or None."""
    try:
        json.loads(text)
    except json.JSONDecodeError as exc:
        return f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    return None


def pretty(text: str) -> str:
    """JSON indented for reading; anything else as it is."""
    try:
        return json.dumps(json.loads(text), indent=2, ensure_ascii=False)
    except ValueError:
        return text


class TestAlertDialog(QDialog):
    """Edit a payload and post it to one integration; emits `answered(status)`."""

    answered = Signal(int)
    _finished = Signal(object)

    def __init__(
        self,
        name: str,
        kind: str,
        url: str,
        token: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"Send test alert — {name}")
        self.resize(680, 640)
        self.kind = kind
        self.url = url
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="test-alert")
        self._sending = False
        self.target = QLabel(url)
        self.target.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.token = QLineEdit(token)
        self.token.setPlaceholderText("the integration's token")
        self.token_note = QLabel(HASHED_NOTE)
        self.token_note.setWordWrap(True)
        self.token_note.setVisible(not token)
        mono = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont)
        self.payload = QPlainTextEdit(example_text(kind))
        self.payload.setFont(mono)
        self.payload_error = QLabel()
        self.payload_error.setObjectName("errorLine")
        self.payload_error.hide()
        self.example_button = QPushButton("Reset to example")
        self.send_button = QPushButton("Send")
        self.send_button.setDefault(True)
        self.close_button = QPushButton("Close")
        self.result_status = QLabel()
        self.result_body = QPlainTextEdit()
        self.result_body.setReadOnly(True)
        self.result_body.setFont(mono)
        self.result_body.setMaximumHeight(160)

        form = QFormLayout()
        form.addRow("Posts to:", self.target)
        form.addRow("Token:", self.token)
        form.addRow("", self.token_note)
        buttons = QHBoxLayout()
        buttons.addWidget(self.example_button)
        buttons.addStretch(1)
        buttons.addWidget(self.close_button)
        buttons.addWidget(self.send_button)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(QLabel("Payload (JSON):"))
        layout.addWidget(self.payload, 1)
        layout.addWidget(self.payload_error)
        layout.addLayout(buttons)
        layout.addWidget(self.result_status)
        layout.addWidget(self.result_body)

        self.payload.textChanged.connect(self.validate)
        self.token.textChanged.connect(self.validate)
        self.example_button.clicked.connect(self.reset_example)
        self.send_button.clicked.connect(self.send)
        self.close_button.clicked.connect(self.reject)
        self._finished.connect(self._show_answer, Qt.ConnectionType.QueuedConnection)
        self.validate()

    def reset_example(self) -> None:
        """Put the example payload for the integration's type back."""
        self.payload.setPlainText(example_text(self.kind))

    def validate(self) -> bool:
        """Whether the payload is JSON and a token is given; Send follows."""
        problem = json_problem(self.payload.toPlainText())
        self.payload_error.setText(problem or "")
        self.payload_error.setVisible(problem is not None)
        token = self.token.text().strip()
        if not token:
            self.token_note.show()
        ready = problem is None and bool(token)
        self.send_button.setEnabled(ready and not self._sending)
        return ready

    def send(self) -> None:
        """Post the payload on the worker thread."""
        if self._sending or not self.validate():
            return
        self._sending = True
        self.send_button.setEnabled(False)
        self.result_status.setText("Sending…")
        self.result_body.clear()
        body = self.payload.toPlainText().encode("utf-8")
        future = self._executor.submit(post_alert, self.url, self.token.text().strip(), body)
        future.add_done_callback(self._deliver)

    def _deliver(self, future: Future[Answer]) -> None:
        # Queued: handled on the GUI thread. The dialog may have been deleted meanwhile.
        with contextlib.suppress(RuntimeError):
            self._finished.emit(future)

    def _show_answer(self, future: Future[Answer]) -> None:
        self._sending = False
        self.validate()
        error = future.exception()
        if error is not None:
            self.result_status.setText(f"No answer from {self.url}: {error}")
            self.answered.emit(0)
            return
        answer = future.result()
        self.result_status.setText(f"HTTP {answer.status} {answer.reason}")
        self.result_body.setPlainText(pretty(answer.body))
        self.answered.emit(answer.status)

    def done(self, result: int) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().done(result)

    def closeEvent(self, event: QCloseEvent) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        super().closeEvent(event)
