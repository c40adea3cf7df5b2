"""The alert rule form and list, the dashboards form, and "Add alert" on a chart."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QTableWidgetItem

from console.admin import metrics as metrics_admin
from console.charts.embeds import parse_link
from console.views.alert_rules_view import AlertRulesView, add_alert
from console.views.charts import ChartWidget
from console.views.dashboards_view import DashboardsView


def rules(store):
    with store.read() as session:
        return [
            (r.query, r.operator, r.threshold, r.for_seconds, r.severity, r.paused)
            for r in metrics_admin.list_rules(session)
        ]


def test_add_alert_dialog_saves_a_rule(qtbot, ctx, store):
    dialog = add_alert(ctx, "rate(errors[5m])")
    qtbot.addWidget(dialog)
    dialog.operator.setCurrentText(">")
    dialog.threshold.setValue(0.5)
    dialog.duration.setText("soon")
    dialog._ok()
    qtbot.waitUntil(lambda: "duration" in dialog.error.text())
    assert rules(store) == []
    dialog.duration.setText("10m")
    dialog.severity.setCurrentText("high")
    dialog._ok()
    qtbot.waitUntil(lambda: not dialog.isVisible())
    assert rules(store) == [("rate(errors[5m])", ">", 0.5, 600, "high", False)]


def test_rules_list_pauses_and_deletes(qtbot, ctx, store):
    with store.write() as session:
        metrics_admin.add_rule(session, "up", "==", 0, duration="1m")
    view = AlertRulesView(ctx)
    qtbot.addWidget(view)
    assert view.table.item(0, 0).text() == "up == 0 for 1m"
    view.table.selectRow(0)
    view.toggle_pause()
    qtbot.waitUntil(lambda: view.table.item(0, 2).text() == "paused")
    view.table.selectRow(0)
    view.delete()
    qtbot.waitUntil(lambda: view.table.rowCount() == 0)
    assert rules(store) == []


def test_chart_add_alert_button_opens_the_form_for_its_query(qtbot):
    opened = []

    class Fetcher:
        add_alert = staticmethod(lambda embed, parent: opened.append(embed.query))

        def submit(self, embed, callback):
            return 1

        def cancel(self, ticket):
            pass

    embed = parse_link("http://p:9090/graph?g0.expr=up")
    chart = ChartWidget(embed, Fetcher())
    qtbot.addWidget(chart)
    assert not chart.alert_button.isHidden()
    chart.alert_button.click()
    assert opened == ["up"]


def test_dashboards_form_saves_and_copies_a_panel_link(qtbot, ctx, store):
    view = DashboardsView(ctx)
    qtbot.addWidget(view)
    view.picker.setEditText("ops")
    view.add_row({"group": "Health", "title": "Up", "query": "up", "y_label": "targets"})
    view.add_row({})
    view.table.setItem(1, 0, QTableWidgetItem("Health"))
    view.table.setItem(1, 1, QTableWidgetItem("Mem"))
    view.save_button.click()
    qtbot.waitUntil(lambda: view.message.text() != "")
    assert "query" in view.message.text()  # the second panel has none
    view.table.setItem(1, 2, QTableWidgetItem("process_resident_memory_bytes"))
    view.save_button.click()
    qtbot.waitUntil(lambda: view.message.text() == "Saved ops.")
    with store.read() as session:
        assert metrics_admin.panel_query(session, "ops", "Health", "Mem") == (
            "process_resident_memory_bytes"
        )
    view.table.setCurrentCell(0, 1)
    view.copy_button.click()
    assert QGuiApplication.clipboard().text() == (
        "incident-console://metrics?dashboard=ops&group=Health&title=Up&y_label=targets"
    )
