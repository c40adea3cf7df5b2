"""The GUI's plumbing: writes go through the writer, commits arrive as coalesced signals."""

from __future__ import annotations

import httpx

from console.engine import lifecycle
from console.views.actions import ActionRunner
from tests.conftest import FORMATS


def test_posted_alerts_arrive_as_one_coalesced_signal(qtbot, ctx, gui_endpoint):
    with (
        qtbot.waitSignal(ctx.updates.changed, timeout=5000) as blocker,
        httpx.Client(timeout=10) as client,
    ):
        for n in range(20):
            body = {"title": f"alert {n}", "fingerprint": f"fp-{n}"}
            response = client.post(gui_endpoint.url, json=body, headers=gui_endpoint.headers)
            assert response.status_code == 200
    alert_iids, _incidents = blocker.args
    assert alert_iids  # at least the first commit; the rest coalesce into later signals


def test_action_runner_reports_result_and_refusal_on_gui_thread(qtbot, ctx, gui_endpoint):
    with httpx.Client(timeout=10) as client:
        client.post(
            gui_endpoint.url,
            content=(FORMATS / "generic-alert.json").read_bytes(),
            headers=gui_endpoint.headers,
        )
    runner: ActionRunner = ctx.actions
    outcomes: list[tuple[object, object]] = []
    runner.run(
        lambda s: lifecycle.set_alert_status(s, 1, "acknowledged", "tester").status,
        lambda result, error: outcomes.append((result, error)),
    )
    runner.run(
        lambda s: lifecycle.set_alert_status(s, 99, "resolved", "tester"),
        lambda result, error: outcomes.append((result, error)),
    )
    qtbot.waitUntil(lambda: len(outcomes) == 2, timeout=5000)
    assert outcomes[0] == ("acknowledged", None)
    assert outcomes[1][0] is None and "no alert #99" in str(outcomes[1][1])
    # A manual change tells every view to refresh (ids it cannot know are left out).
    qtbot.wait(120)  # let the ingest notifications of the post drain first
    with qtbot.waitSignal(ctx.updates.changed, timeout=5000):
        runner.run(lambda s: lifecycle.set_alert_status(s, 1, "resolved", "tester"))


def test_many_signal_emits_do_not_crash(qtbot, qapp):
    """PySide6 6.12 crashed after a few thousand emits to a Python slot on Python 3.11."""
    from PySide6.QtCore import QObject, Signal

    class Emitter(QObject):
        fired = Signal(bool)

    emitter = Emitter()
    seen = [0]

    def count(_flag: bool) -> None:
        seen[0] += 1

    emitter.fired.connect(count)
    for _ in range(100_000):
        emitter.fired.emit(True)
    assert seen[0] == 100_000
