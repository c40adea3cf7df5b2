"""The alarm in the window: sounds for chosen severities, repeats, stops on ack, mutes;
the severity's own sound through the platform's player, or the bell without one."""

from __future__ import annotations

import sys
from pathlib import Path

import httpx
import pytest

from console.engine import lifecycle
from console.services import alarm_sounds
from console.services.alarm_sounds import VERSION, AlarmSounds, Player
from console.views.sound import BeepBackend, SoundAlarm, WavBackend
from tests.conftest import set_settings
from tests.unit.test_alarm_sounds import fake_player, recording_player, wait_for


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    def __init__(self) -> None:
        self.played: list[str] = []
        self.stops = 0

    def play(self, severity: str) -> None:
        self.played.append(severity)

    def stop(self) -> None:
        self.stops += 1


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
    assert backend.stops == 1  # the sound playing now is cut short
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
    assert backend.stops == 1  # M silences at once, not when the sound would end
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


class RecordingBeep(BeepBackend):
    def __init__(self) -> None:
        super().__init__()
        self.played: list[str] = []

    def play(self, severity: str) -> None:
        self.played.append(severity)
        super().play(severity)


def test_the_default_alarm_plays_sounds_with_the_bell_as_fallback(qtbot, ctx, monkeypatch):
    monkeypatch.setattr(alarm_sounds, "find_player", lambda: None)  # no real sound in tests
    alarm = SoundAlarm(ctx)
    assert isinstance(alarm.backend, WavBackend)
    assert isinstance(alarm.backend.fallback, BeepBackend)


def test_without_a_player_the_bell_rings(qapp, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    bell = RecordingBeep()
    backend = WavBackend(AlarmSounds(tmp_path), fallback=bell)
    backend.play("critical")
    assert bell.played == ["critical"]


def test_a_player_that_fails_to_start_falls_back_to_the_bell(qapp, tmp_path):
    bell = RecordingBeep()
    broken = AlarmSounds(tmp_path, Player("paplay", (str(tmp_path / "no-such-player"),)))
    WavBackend(broken, fallback=bell).play("high")
    assert bell.played == ["high"]


@pytest.mark.skipif(sys.platform == "win32", reason="the fake player is a script")
def test_with_a_player_the_severity_sound_plays_and_the_bell_stays_quiet(
    qapp, tmp_path, monkeypatch
):
    called = recording_player(tmp_path, monkeypatch)
    bell = RecordingBeep()
    backend = WavBackend(AlarmSounds(tmp_path / "sounds"), fallback=bell)
    backend.play("critical")
    wait_for(called.exists)
    assert called.read_text() == repr([str(tmp_path / "sounds" / f"alarm-critical-v{VERSION}.wav")])
    assert bell.played == []
    backend.sounds.children[0].wait(10)


def test_stopping_the_bell_cancels_the_second_critical_beep(qapp):
    bell = RecordingBeep()
    bell.play("critical")
    assert bell._second.isActive()
    bell.stop()
    assert not bell._second.isActive()


@pytest.mark.skipif(sys.platform == "win32", reason="the fake player is a script")
def test_muting_cuts_short_the_sound_playing(qtbot, ctx, gui_endpoint, tmp_path, monkeypatch):
    fake_player(tmp_path / "bin", "paplay", "time.sleep(30)")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    backend = WavBackend(AlarmSounds(tmp_path / "sounds"), fallback=RecordingBeep())
    alarm = SoundAlarm(ctx, backend=backend)
    post(gui_endpoint, "Loud", "critical")
    qtbot.waitUntil(lambda: len(backend.sounds.children) == 1, timeout=5000)
    [player] = backend.sounds.children
    assert player.poll() is None
    alarm.toggle_mute()
    assert backend.sounds.children == []
    wait_for(lambda: player.poll() is not None, timeout=5)  # not left to play out its 30 s


def zombie(pid: int) -> bool:
    """Whether `pid` has exited but nobody collected it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state == "Z"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_a_finished_player_is_collected_without_waiting_for_the_next_alarm(
    qtbot, tmp_path, monkeypatch
):
    fake_player(tmp_path / "bin", "paplay", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    backend = WavBackend(AlarmSounds(tmp_path / "sounds"), fallback=RecordingBeep())
    backend.play("low")
    [child] = backend.sounds.children
    qtbot.waitUntil(lambda: not backend.sounds.unreaped, timeout=5000)
    assert child.returncode == 0 and not zombie(child.pid)
    assert not backend._reaper.isActive()  # nothing left to watch


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
@pytest.mark.parametrize("ignores_sigterm", [False, True], ids=["ends", "ignores-sigterm"])
def test_a_stopped_player_is_collected_soon_after(qtbot, tmp_path, monkeypatch, ignores_sigterm):
    deaf = "import signal; signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
    ready = tmp_path / "playing"
    fake_player(
        tmp_path / "bin",
        "paplay",
        (deaf if ignores_sigterm else "") + f"pathlib.Path({str(ready)!r}).touch()\ntime.sleep(30)",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    backend = WavBackend(AlarmSounds(tmp_path / "sounds"), fallback=RecordingBeep())
    backend.play("critical")
    [child] = backend.sounds.children
    wait_for(ready.exists)  # playing (and, for the deaf one, deaf already)
    backend.stop()
    qtbot.waitUntil(lambda: not backend.sounds.unreaped, timeout=8000)
    assert child.returncode is not None and not zombie(child.pid)
