"""Custom field mapping of one integration, chosen from a pasted sample payload.

The admin pastes an alert their tool sends; every path in it (`a/b[0]/c`) is listed with
its type as `console.ingest.mapping.sample_paths` finds it (string, array, datetime), and
for each mappable field a dropdown offers the paths of a fitting type, after the field's
default key. Save replaces the integration's mapping through
`console.admin.integrations.replace_mapping` on the writer; Cancel changes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import QTimer, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.admin import integrations as integrations_admin
from console.ingest.mapping import MAPPABLE_FIELDS, sample_paths
from console.views.context import ViewContext

PARSE_DELAY_MS = 300
# Which payload types each field may be read from (a datetime field needs a date-time;
# an array field takes one string as well).
COMPATIBLE = {
    "string": ("string", "datetime"),
    "datetime": ("datetime",),
    "array": ("array", "string"),
}
DEFAULT_KEYS = {"environment": "gitlab_environment_name or environment"}
NOTE = (
    "Each field is read from the chosen path first, and from its default key when a payload "
    "does not have that path. Mapping applies to generic JSON payloads (Alertmanager and "
    "PagerDuty bodies have fixed fields)."
)


def parse_sample(text: str) -> tuple[list[tuple[str, str]], str | None]:
    """The `(path, type)` list of a sample, or why the sample cannot be read."""
    if not text.strip():
        return [], None
    try:
        sample = json.loads(text)
    except json.JSONDecodeError as exc:
        return [], f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})"
    if not isinstance(sample, dict):
        return [], "a sample payload is a JSON object ({...})"
    return sample_paths(sample), None


class MappingDialog(QDialog):
    """Pick a payload path for each field; emits `saved(mapping)` once stored."""

    saved = Signal(dict)

    def __init__(
        self,
        ctx: ViewContext,
        name: str,
        mapping: dict[str, str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.name = name
        self.current = dict(mapping)
        self.paths: list[tuple[str, str]] = []
        self._filled = False
        self.setWindowTitle(f"Field mapping — {name}")
        self.resize(760, 640)
        self.sample = QPlainTextEdit()
        self.sample.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.sample.setPlaceholderText("Paste a sample alert payload (JSON) your tool sends")
        self.sample_error = QLabel()
        self.sample_error.setObjectName("errorLine")
        self.sample_error.hide()
        self.found = QLabel()
        self.combos: dict[str, QComboBox] = {}
        fields = QFormLayout()
        for field, kind in MAPPABLE_FIELDS.items():
            combo = QComboBox()
            combo.setMinimumContentsLength(30)
            self.combos[field] = combo
            fields.addRow(f"{field} ({kind}):", combo)
        note = QLabel(NOTE)
        note.setWordWrap(True)
        self.error = QLabel()
        self.error.setObjectName("errorLine")
        self.error.setWordWrap(True)
        self.error.hide()
        self.save_button = QPushButton("Save mapping")
        self.save_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("Sample payload:"))
        layout.addWidget(self.sample, 1)
        layout.addWidget(self.sample_error)
        layout.addWidget(self.found)
        layout.addLayout(fields)
        layout.addWidget(note)
        layout.addWidget(self.error)
        layout.addLayout(buttons)

        self._parse_delay = QTimer(self)
        self._parse_delay.setSingleShot(True)
        self._parse_delay.setInterval(PARSE_DELAY_MS)
        self._parse_delay.timeout.connect(self.parse)
        self.sample.textChanged.connect(self._parse_delay.start)
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.parse()

    def parse(self) -> None:
        """Read the sample again and rebuild every dropdown, keeping each choice."""
        self._parse_delay.stop()
        paths, problem = parse_sample(self.sample.toPlainText())
        self.sample_error.setText(problem or "")
        self.sample_error.setVisible(problem is not None)
        if problem is None:
            self.paths = paths
        self.found.setText(f"{len(self.paths)} paths found in the sample" if self.paths else "")
        chosen = self.mapping() if self._filled else self.current
        self._filled = True
        for field, kind in MAPPABLE_FIELDS.items():
            self._fill(field, kind, chosen.get(field, ""))
        self.save_button.setEnabled(problem is None)

    def _fill(self, field: str, kind: str, chosen: str) -> None:
        combo = self.combos[field]
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(f"Default: {DEFAULT_KEYS.get(field, field)}", "")
        for path, path_kind in self.paths:
            if path_kind in COMPATIBLE[kind]:
                combo.addItem(f"{path}  ({path_kind})", path)
        if chosen and combo.findData(chosen) < 0:
            combo.addItem(f"{chosen}  (saved; not in the sample)", chosen)
        combo.setCurrentIndex(max(0, combo.findData(chosen)))
        combo.blockSignals(False)

    def choose(self, field: str, path: str) -> bool:
        """Select `path` for `field` (as a click would); False when it is not offered."""
        combo = self.combos[field]
        index = combo.findData(path)
        if index >= 0:
            combo.setCurrentIndex(index)
        return index >= 0

    def offered(self, field: str) -> list[str]:
        """The paths offered for `field` (the default key first, as "")."""
        combo = self.combos[field]
        return [str(combo.itemData(i)) for i in range(combo.count())]

    def mapping(self) -> dict[str, str]:
        """The mapping as chosen: field → path, fields on their default key left out."""
        chosen = {field: str(combo.currentData() or "") for field, combo in self.combos.items()}
        return {field: path for field, path in chosen.items() if path}

    def save(self) -> None:
        """Store the chosen mapping (replacing the integration's mapping)."""
        mapping = self.mapping()
        self.save_button.setEnabled(False)

        def done(_result: Any, error: BaseException | None) -> None:
            self.save_button.setEnabled(True)
            if error is not None:
                self.error.setText(f"Not saved: {error}")
                self.error.show()
                return
            self.error.hide()
            self.current = mapping
            self.saved.emit(mapping)
            self.accept()

        name = self.name
        self.ctx.actions.run(
            lambda session: integrations_admin.replace_mapping(session, name, mapping), done
        )
