"""One editor per setting, chosen from its declaration in `console.config`, with its reason line.

Every editor gives back the text `settings set KEY VALUE` would take, so the form checks and
saves exactly what the command line does. Integers are typed into a line (not a spin box)
so a wrong value can be typed, and its reason shown. Secrets never show their value: the
editor is empty, says whether one is set, and offers Remove.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from console.config import Option
from console.views.theme import SEVERITY_GLYPHS

NO_TEMPLATE = "No template"


def value_text(option: Option, value: Any) -> str:
    """A stored value as the text the command line would give for it."""
    if option.kind == "bool":
        return "true" if value else "false"
    if option.kind == "list":
        return ", ".join(str(item) for item in value or [])
    return "" if value is None else str(value)


class SeverityPicker(QWidget):
    """A checkbox per severity; its text is the checked names, comma-separated."""

    changed = Signal()

    def __init__(self, names: tuple[str, ...], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        for name in names:
            box = QCheckBox(f"{SEVERITY_GLYPHS.get(name, '')} {name}".strip())
            box.toggled.connect(self.changed)
            self.boxes[name] = box
            layout.addWidget(box)
        layout.addStretch(1)

    def text(self) -> str:
        return ", ".join(name for name, box in self.boxes.items() if box.isChecked())

    def set_text(self, text: str) -> None:
        chosen = {item.strip() for item in text.split(",")}
        for name, box in self.boxes.items():
            box.setChecked(name in chosen)


class SettingField(QWidget):
    """The editor of one setting and the line under it that says why a value is refused."""

    changed = Signal()

    def __init__(self, option: Option, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.key = option.key
        self.baseline = ""
        self.secret_set = False
        self.check: QCheckBox | None = None
        self.combo: QComboBox | None = None
        self.line: QLineEdit | None = None
        self.picker: SeverityPicker | None = None
        self.remove: QPushButton | None = None
        self.error = QLabel()
        self.error.setObjectName("errorLine")
        self.error.setWordWrap(True)
        self.error.hide()
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self._make_editor(option), 1)
        if option.secret:
            self.remove = QPushButton("Remove")
            self.remove.setCheckable(True)
            self.remove.setToolTip("Remove the stored secret when saving")
            self.remove.toggled.connect(self._removal_toggled)
            row.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addLayout(row)
        layout.addWidget(self.error)
        self.setToolTip(f"{option.description} ({option.key})")

    def _make_editor(self, option: Option) -> QWidget:
        if option.kind == "bool":
            self.check = QCheckBox(option.description)
            self.check.toggled.connect(self.changed)
            return self.check
        if option.kind == "choice" or option.key == "issue_template":
            self.combo = QComboBox()
            for choice in option.choices:
                self.combo.addItem(choice, choice)
            self.combo.currentIndexChanged.connect(self.changed)
            return self.combo
        if option.kind == "list" and option.choices:
            self.picker = SeverityPicker(option.choices)
            self.picker.changed.connect(self.changed)
            return self.picker
        self.line = QLineEdit()
        if option.secret:
            self.line.setEchoMode(QLineEdit.EchoMode.Password)
        elif option.kind == "list":
            self.line.setPlaceholderText("comma-separated")
        self.line.textChanged.connect(self.changed)
        return self.line

    def set_templates(self, names: list[str], chosen: str) -> None:
        """The issue template dropdown: no template, then every template by name."""
        assert self.combo is not None
        self.combo.blockSignals(True)
        self.combo.clear()
        self.combo.addItem(NO_TEMPLATE, "")
        for name in names:
            self.combo.addItem(name, name)
        if chosen and chosen not in names:  # deleted meanwhile: shown, and refused on save
            self.combo.addItem(f"{chosen} (missing)", chosen)
        self.combo.setCurrentIndex(max(0, self.combo.findData(chosen)))
        self.combo.blockSignals(False)

    def set_value(self, value: Any) -> None:
        """Show the stored value; what is shown now is what counts as unchanged."""
        if self.option.secret:
            self.secret_set = bool(value)
            assert self.line is not None and self.remove is not None
            self.line.clear()
            self.remove.setChecked(False)
            self.remove.setEnabled(self.secret_set)
            self.line.setPlaceholderText(
                "set (hidden): type to replace it" if self.secret_set else "not set"
            )
            self.baseline = ""
            return
        text = value_text(self.option, value)
        if self.check is not None:
            self.check.setChecked(bool(value))
        elif self.combo is not None:
            index = self.combo.findData(text)
            if index < 0:
                self.combo.addItem(text, text)
                index = self.combo.count() - 1
            self.combo.setCurrentIndex(index)
        elif self.picker is not None:
            self.picker.set_text(text)
        elif self.line is not None:
            self.line.setText(text)
        self.baseline = self.text()

    def text(self) -> str:
        """The value as `settings set` takes it."""
        if self.check is not None:
            return "true" if self.check.isChecked() else "false"
        if self.combo is not None:
            return str(self.combo.currentData() or "")
        if self.picker is not None:
            return self.picker.text()
        assert self.line is not None
        return self.line.text()

    @property
    def is_changed(self) -> bool:
        """Whether saving would change this setting."""
        if self.option.secret:
            return bool(self.text()) or bool(self.remove and self.remove.isChecked())
        return self.text() != self.baseline

    def show_error(self, reason: str | None) -> None:
        """Show why the value is refused, or nothing."""
        self.error.setText(reason or "")
        self.error.setVisible(bool(reason))

    @property
    def reason(self) -> str:
        """The reason shown, if any."""
        return self.error.text() if not self.error.isHidden() else ""

    def _removal_toggled(self, on: bool) -> None:
        assert self.line is not None
        if on:
            self.line.clear()
        self.line.setEnabled(not on)
        self.line.setPlaceholderText(
            "removed when saving" if on else "set (hidden): type to replace it"
        )
        self.changed.emit()
