"""Dark, light and system themes, applied from the `theme` setting while the window runs."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette

from console.views.theme import ThemeController, apply_theme, markdown_css, resource_text
from tests.conftest import set_settings


@pytest.fixture
def restore_theme(qapp):
    yield
    apply_theme(qapp, "system")


def window_lightness(qapp) -> int:
    return qapp.palette().color(QPalette.ColorRole.Window).lightness()


def test_dark_and_light_palettes_and_stylesheets(qapp, restore_theme):
    assert apply_theme(qapp, "dark") is True
    assert window_lightness(qapp) < 60
    assert "incidentBanner" in qapp.styleSheet()
    assert apply_theme(qapp, "light") is False
    assert window_lightness(qapp) > 200
    text = qapp.palette().color(QPalette.ColorRole.WindowText).lightness()
    assert window_lightness(qapp) - text > 150  # readable contrast


def test_controller_follows_the_setting(qtbot, qapp, store, restore_theme):
    controller = ThemeController(qapp, store)
    assert controller.theme == "system"
    set_settings(store, theme="dark")  # as `settings set theme dark` would
    with qtbot.waitSignal(controller.theme_changed, timeout=5000) as changed:
        pass
    assert changed.args == [True]
    assert window_lightness(qapp) < 60


def test_resources_are_packaged():
    assert "QFrame#wallTile" in resource_text("styles", "wall.qss")
    assert "<svg" in resource_text("icons", "app.svg")
    assert "pre" in markdown_css(True) and markdown_css(True) != markdown_css(False)
