"""The feed table's own paint: what each row looks like, and what a paint costs the model."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QColor, QImage, QPalette
from PySide6.QtWidgets import QApplication

from console.views import alert_feed, severity_style
from console.views.alert_feed import AlertFeedWidget
from console.views.alert_feed_model import ALERT, EVENTS, AlertFeedModel
from console.views.feed_painter import FeedRowPainter
from tests.gui.test_alert_feed import post, wait_rows


@pytest.fixture(autouse=True)
def _all_tab(qtbot, feed: AlertFeedWidget) -> None:
    """Every test here looks at the All tab (new alerts, resolved ones, all of them)."""
    feed.show_tab("all")
    qtbot.waitUntil(lambda: feed.model.is_complete, timeout=5000)


def snapshot(feed: AlertFeedWidget) -> QImage:
    QApplication.processEvents()
    return feed.table.viewport().grab().toImage()


def row_fill(feed: AlertFeedWidget, image: QImage, row: int) -> QColor:
    """The colour at the left end of the Status cell of `row`: background, never text."""
    table = feed.table
    y = table.rowViewportPosition(row) + 2
    x = table.columnViewportPosition(len(alert_feed.COLUMN_WIDTHS) - 1) + 1
    return image.pixelColor(x, y)


def palette_color(feed: AlertFeedWidget, role: QPalette.ColorRole) -> QColor:
    group = QPalette.ColorGroup.Active if feed.isActiveWindow() else QPalette.ColorGroup.Inactive
    return feed.table.palette().color(group, role)


def has_pixels_of(image: QImage, color: QColor, top: int, bottom: int, right: int) -> bool:
    """Whether any pixel between rows `top` and `bottom`, left of `right`, is near `color`."""
    for y in range(top, bottom):
        for x in range(0, right):
            found = image.pixelColor(x, y)
            if (
                abs(found.red() - color.red())
                + abs(found.green() - color.green())
                + abs(found.blue() - color.blue())
                < 40
            ):
                return True
    return False


def test_rows_alternate_new_ones_are_tinted_and_selected_ones_highlighted(
    qtbot, feed, gui_endpoint, monkeypatch
):
    monkeypatch.setattr(alert_feed, "SEEN_AFTER_S", 3600.0)
    for n in range(4):
        post(gui_endpoint, title=f"row {n}", fingerprint=f"r{n}")
    wait_rows(qtbot, feed.model, 4)
    model = feed.model
    model.mark_seen([model.iid_at(2), model.iid_at(3)])  # rows 0 and 1 stay new
    image = snapshot(feed)
    new = severity_style.new_alert_background(severity_style.is_dark(feed.table.palette()))
    assert row_fill(feed, image, 0) == new
    assert row_fill(feed, image, 1) == new
    assert row_fill(feed, image, 3) == palette_color(feed, QPalette.ColorRole.AlternateBase)

    feed.table.selectRow(3)
    image = snapshot(feed)
    assert row_fill(feed, image, 3) == palette_color(feed, QPalette.ColorRole.Highlight)


def test_each_cell_shows_its_text_elided_to_its_column(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="A rather long title " * 20, fingerprint="long", severity="critical")
    wait_rows(qtbot, feed.model, 1)
    painter: FeedRowPainter = feed.table._painter
    snapshot(feed)
    texts = {key[0]: static.text() for key, static in painter._texts.items()}
    iid = feed.model.iid_at(0)
    title = next(text for text in texts if text.startswith(f"#{iid} A rather"))
    assert texts[title].endswith("…")
    assert len(texts[title]) < len(title)
    assert texts["Critical"] == "Critical"
    assert texts["Triggered"] == "Triggered"


def test_the_severity_icon_is_drawn_in_its_colour(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="icon", fingerprint="icon", severity="critical")
    wait_rows(qtbot, feed.model, 1)
    image = snapshot(feed)
    table = feed.table
    top = table.rowViewportPosition(0)
    dark = severity_style.is_dark(table.palette())
    colour = severity_style.color("critical", dark)
    assert has_pixels_of(image, colour, top, top + table.rowHeight(0), 24)


def test_a_paint_asks_the_model_once_per_visible_row(qtbot, feed, gui_endpoint, monkeypatch):
    for n in range(30):
        post(gui_endpoint, title=f"many {n}", fingerprint=f"m{n}")
    wait_rows(qtbot, feed.model, 30)
    snapshot(feed)
    looked: list[int] = []
    real_look = AlertFeedModel.look

    def counting_look(self: AlertFeedModel, row: int):
        looked.append(row)
        return real_look(self, row)

    def no_cells(*_args: object) -> None:
        raise AssertionError("painting asked the model for a cell")

    monkeypatch.setattr(AlertFeedModel, "look", counting_look)
    monkeypatch.setattr(AlertFeedModel, "multiData", no_cells)
    feed.table.viewport().repaint()
    visible = feed.table.rows_in_view()
    assert sorted(looked) == list(visible)


def test_a_repaint_of_the_same_rows_lays_out_no_text_again(qtbot, feed, gui_endpoint):
    for n in range(10):
        post(gui_endpoint, title=f"again {n}", fingerprint=f"a{n}")
    wait_rows(qtbot, feed.model, 10)
    snapshot(feed)
    painter: FeedRowPainter = feed.table._painter
    laid_out = dict(painter._texts)
    feed.table.viewport().repaint()
    assert painter._texts == laid_out
    assert all(painter._texts[key] is static for key, static in laid_out.items())


def test_rows_not_read_yet_show_an_ellipsis(qtbot, feed, gui_endpoint, monkeypatch):
    post(gui_endpoint, title="unread", fingerprint="u")
    wait_rows(qtbot, feed.model, 1)
    monkeypatch.setattr(AlertFeedModel, "look", lambda _self, _row: None)
    image = snapshot(feed)
    table = feed.table
    top, height = table.rowViewportPosition(0), table.rowHeight(0)
    left = table.columnViewportPosition(ALERT)
    background = image.pixelColor(left + 1, top + 1)
    inked = [
        (x, y)
        for y in range(top, top + height)
        for x in range(left, left + 40)
        if image.pixelColor(x, y) != background
    ]
    assert inked, "the Alert cell of a row not read yet is empty"
    assert all(x < left + 30 for x, _y in inked)  # an ellipsis, not a title


def test_a_font_change_lays_the_texts_out_again(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="font", fingerprint="font")
    wait_rows(qtbot, feed.model, 1)
    snapshot(feed)
    painter: FeedRowPainter = feed.table._painter
    assert painter._texts
    font = feed.table.font()
    font.setPointSize(font.pointSize() + 4)
    feed.table.setFont(font)
    assert not painter._texts
    snapshot(feed)
    assert painter._texts


def test_titles_that_fit_are_drawn_without_keeping_a_layout(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="short title", fingerprint="s1")
    post(gui_endpoint, title="café ünïcode title", fingerprint="s2")
    wait_rows(qtbot, feed.model, 2)
    snapshot(feed)
    kept = {key[0] for key in feed.table._painter._texts}
    model = feed.model
    ascii_row = next(r for r in range(2) if "short" in model.alert(r).title)
    other_row = 1 - ascii_row
    assert f"#{model.iid_at(ascii_row)} short title" not in kept  # drawn straight
    assert f"#{model.iid_at(other_row)} café ünïcode title" in kept  # shaped by Qt


def inked_columns(image: QImage, left: int, right: int, top: int, bottom: int) -> list[int]:
    background = image.pixelColor(left + 1, top + 1)
    return [
        x
        for x in range(left, right)
        if any(image.pixelColor(x, y) != background for y in range(top + 2, bottom - 2))
    ]


def test_numbers_are_right_aligned_in_their_columns(qtbot, feed, gui_endpoint):
    post(gui_endpoint, title="numbers", fingerprint="n")
    wait_rows(qtbot, feed.model, 1)
    image = snapshot(feed)
    table = feed.table
    top, bottom = table.rowViewportPosition(0), table.rowViewportPosition(0) + table.rowHeight(0)
    left = table.columnViewportPosition(EVENTS)
    right = left + table.columnWidth(EVENTS)
    inked = inked_columns(image, left, right, top, bottom)
    assert inked, "the event count is not drawn"
    assert right - 8 <= max(inked) < right  # hugging the right edge, inside the margin
    assert min(inked) > left + table.columnWidth(EVENTS) // 2


def test_a_paint_whose_read_fails_is_logged_once_and_the_window_goes_on(
    qtbot, feed, gui_endpoint, monkeypatch, caplog
):
    post(gui_endpoint, title="fails", fingerprint="fails")
    wait_rows(qtbot, feed.model, 1)

    def broken(_self: AlertFeedModel, _row: int):
        raise OSError("disk I/O error")

    monkeypatch.setattr(AlertFeedModel, "look", broken)
    with caplog.at_level("ERROR", logger="console.views.alert_feed"):
        feed.table.viewport().repaint()
        feed.table.viewport().repaint()
    failures = [r for r in caplog.records if "painting the alert feed failed" in r.getMessage()]
    assert len(failures) == 1
    monkeypatch.undo()
    image = snapshot(feed)  # painting works again once the store does
    assert inked_columns(image, 0, 200, 0, feed.table.rowHeight(0))


def test_line_breaks_and_tabs_in_a_title_show_as_single_spaces(qtbot, feed, gui_endpoint):
    iid = post(gui_endpoint, title="two\nlines\r\nand\ta tab", fingerprint="lines")
    wait_rows(qtbot, feed.model, 1)
    shown = feed.model.data(feed.model.index(0, ALERT))
    assert shown == f"#{iid} two lines and a tab"
    assert feed.model.alert(0).title == "two\nlines\r\nand\ta tab"  # the alert itself is kept
