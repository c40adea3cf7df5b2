"""The alarm in the window: sounds for chosen severities, repeats, stops on ack, mutes."""

from __future__ import annotations

import httpx

from console.engine import lifecycle
from console.views.sound import SoundAlarm
from tests.conftest import set_settings


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.played: list[str] = []

    def play(self, severity: str) -> None:
        self.played.append(severity)


def post(endpoint, title: str, severity: str = "critical"):
    body = {"title": title, "severity": severity, "fingerprint": title}
    with httpx.Client(timeout=10) as client:
        answer = client.post(endpoint.url, json=body, headers=endpoint.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()[0]["iid"]


def make_alarm(ctx):
    clock, backend = FakeClock(), Recorder()
    return SoundAlarm(ctx, backend=backend, clock=clock), clock, backend


def acknowledge(qtbot, ctx, iid: int) -> None:
    done: list[object] = []
    ctx.actions.run(
        lambda s: lifecycle.set_alert_status(s, iid, "acknowledged", "tester"),
        lambda result, error: done.append(error),
    )
    qtbot.waitUntil(lambda: done == [None], timeout=5000)


def test_critical_alert_sounds_and_repeats_until_acknowledged(qtbot, ctx, gui_endpoint):
    alarm, clock, backend = make_alarm(ctx)
    iid = post(gui_endpoint, "Database down", "critical")
    qtbot.waitUntil(lambda: backend.played == ["critical"], timeout=5000)
    assert alarm.is_playing
    alarm.check()  # too soon to repeat
    assert backend.played == ["critical"]
    clock.now += alarm.alarm.repeat_seconds
    alarm.check()
    assert backend.played == ["critical", "critical"]
    stopped: list[bool] = []
    alarm.playing_changed.connect(stopped.append)
    acknowledge(qtbot, ctx, iid)
    alarm.check()  # the alarm's own timer may have noticed first: either way it stops once
    assert stopped == [False] and not alarm.is_playing
    clock.now += 60
    alarm.check()
    assert backend.played == ["critical", "critical"]


def test_only_chosen_severities_sound(qtbot, ctx, gui_endpoint, store):
    alarm, _clock, backend = make_alarm(ctx)
    with qtbot.waitSignal(ctx.updates.changed, timeout=5000):
        post(gui_endpoint, "Slow page", "high")
    assert backend.played == [] and not alarm.is_playing
    set_settings(store, sound_severities="critical,high")  # read fresh at the next check
    alarm.check()
    assert backend.played == ["high"]


def test_mute_silences_until_a_new_alert_sounds(qtbot, ctx, gui_endpoint):
    alarm, clock, backend = make_alarm(ctx)
    post(gui_endpoint, "First", "critical")
    qtbot.waitUntil(lambda: backend.played == ["critical"], timeout=5000)
    alarm.toggle_mute()
    assert alarm.is_muted and not alarm.is_playing
    clock.now += 60
    alarm.check()
    assert backend.played == ["critical"]
    post(gui_endpoint, "Second", "critical")
    qtbot.waitUntil(lambda: backend.played == ["critical", "critical"], timeout=5000)
    assert alarm.is_playing and alarm.alarm.iids == (2,)
    alarm.toggle_mute()  # mutes the second too
    assert not alarm.is_playing and alarm.is_muted
    alarm.toggle_mute()  # only muted alerts left: M lets them sound again
    assert alarm.is_playing and alarm.alarm.iids == (1, 2)
    alarm.toggle_mute()
    acknowledge(qtbot, ctx, 1)
    acknowledge(qtbot, ctx, 2)
    alarm.check()
    assert not alarm.is_muted and not alarm.is_playing  # the mute ends with what it silenced
