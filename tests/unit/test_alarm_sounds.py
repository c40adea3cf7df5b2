"""Alarm sounds: one valid, distinct WAV per severity, cached, and played without waiting."""

from __future__ import annotations

import os
import sys
import time
import wave
from array import array
from pathlib import Path

import pytest

from console.config import SEVERITY_NAMES
from console.ingest.fields import SEVERITIES
from console.models import Severity
from console.services import alarm_sounds
from console.services.alarm_sounds import VERSION, AlarmSounds, find_player, sound_file

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="fake players are scripts")


def read_samples(path: Path) -> tuple[tuple[int, int, int], int, array]:
    with wave.open(str(path), "rb") as sound:
        shape = (sound.getnchannels(), sound.getsampwidth(), sound.getframerate())
        frames = sound.getnframes()
        samples = array("h", sound.readframes(frames))
    if sys.byteorder == "big":
        samples.byteswap()
    return shape, frames, samples


def fake_player(folder: Path, name: str, body: str) -> Path:
    """An executable `name` in `folder` that runs the Python `body` (argv in `sys.argv`)."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    script.write_text(f"#!{sys.executable}\nimport sys, time, pathlib\n{body}\n")
    script.chmod(0o755)
    return script


def recording_player(tmp_path: Path, monkeypatch, name: str = "paplay") -> Path:
    """A fake player first on PATH that writes its arguments to the returned file."""
    log = tmp_path / f"{name}.args"
    fake_player(
        tmp_path / "bin",
        name,
        f"part = pathlib.Path({str(log) + '.part'!r})\n"
        "part.write_text(repr(sys.argv[1:]))\n"
        f"part.replace({str(log)!r})",
    )
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}")
    return log


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_every_severity_has_a_pattern():
    assert set(alarm_sounds.PATTERNS) == set(SEVERITIES) == set(SEVERITY_NAMES)
    assert set(SEVERITIES) == {s.value for s in Severity}


@pytest.mark.parametrize("severity", SEVERITIES)
def test_each_sound_is_a_valid_audible_wav(tmp_path, severity):
    path = sound_file(severity, tmp_path)
    assert path.parent == tmp_path and path.name == f"alarm-{severity}-v{VERSION}.wav"
    shape, frames, samples = read_samples(path)
    assert shape == (1, 2, 22050)
    assert len(samples) == frames
    assert 0.2 <= frames / 22050 <= 1.5
    peak = max(abs(s) for s in samples)
    assert 5000 < peak < 32767  # clearly audible, not clipped
    assert abs(samples[0]) < 200 and abs(samples[-1]) < 200  # faded in and out


def test_critical_is_the_longest_and_loudest(tmp_path):
    lengths = {s: read_samples(sound_file(s, tmp_path))[1] for s in SEVERITIES}
    peaks = {s: max(map(abs, read_samples(sound_file(s, tmp_path))[2])) for s in SEVERITIES}
    assert 1.1 <= lengths["critical"] / 22050 <= 1.3
    assert max(lengths, key=lengths.__getitem__) == "critical"
    assert max(peaks, key=peaks.__getitem__) == "critical"


def test_severities_sound_different(tmp_path):
    sounds = {sound_file(s, tmp_path).read_bytes() for s in SEVERITIES}
    assert len(sounds) == len(SEVERITIES)


def test_an_unexpected_severity_sounds_like_unknown(tmp_path):
    assert sound_file("../../weird", tmp_path) == sound_file("unknown", tmp_path)


def test_an_existing_sound_is_not_written_again(tmp_path, monkeypatch):
    path = sound_file("critical", tmp_path)
    written = path.stat().st_mtime_ns

    def refuse(_severity: str):
        raise AssertionError("synthesised again")

    monkeypatch.setattr(alarm_sounds, "synthesise", refuse)
    assert sound_file("critical", tmp_path) == path
    assert path.stat().st_mtime_ns == written
    assert list(tmp_path.iterdir()) == [path]


@pytest.mark.parametrize("damage", ["garbage", "truncated", "empty"])
def test_a_damaged_sound_is_written_again(tmp_path, damage):
    path = sound_file("high", tmp_path)
    good = path.read_bytes()
    path.write_bytes(
        {"garbage": b"not a wave file" * 100, "truncated": good[: len(good) // 2], "empty": b""}[
            damage
        ]
    )
    assert sound_file("high", tmp_path) == path
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no partial file left behind


def test_the_default_folder_is_in_the_user_cache():
    folder = alarm_sounds.default_folder()
    assert folder.name == "sounds" and "incident-console" in folder.parts


@posix_only
def test_the_first_player_on_path_plays_the_severity_sound(tmp_path, monkeypatch):
    called = recording_player(tmp_path, monkeypatch)
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.player is not None and sounds.player.name == "paplay"
    assert sounds.play("critical") is True and sounds.problem is None
    wait_for(called.exists)
    assert called.read_text() == repr([str(tmp_path / "sounds" / f"alarm-critical-v{VERSION}.wav")])
    sounds.children[0].wait(10)


@posix_only
def test_players_are_preferred_in_order(tmp_path, monkeypatch):
    for name in ("aplay", "pw-play"):
        fake_player(tmp_path / "bin", name, "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    player = find_player("linux")
    assert player is not None and player.name == "pw-play"
    assert player.command == (str(tmp_path / "bin" / "pw-play"),)
    fake_player(tmp_path / "bin", "afplay", "")
    assert find_player("darwin") == alarm_sounds.Player("afplay", (str(tmp_path / "bin/afplay"),))


def test_without_a_player_nothing_plays_and_the_reason_is_given(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", "")
    assert find_player("linux") is None and find_player("darwin") is None
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.player is None
    assert sounds.play("critical") is False
    assert sounds.problem is not None and "No sound player" in sounds.problem
    assert not (tmp_path / "sounds").exists()  # nothing written for nothing to play


def test_a_player_that_cannot_start_is_reported(tmp_path):
    gone = alarm_sounds.Player("paplay", (str(tmp_path / "missing" / "paplay"),))
    sounds = AlarmSounds(tmp_path / "sounds", gone)
    assert sounds.play("medium") is False
    assert sounds.problem is not None and "paplay" in sounds.problem
    assert sounds.children == []


@posix_only
def test_play_does_not_wait_for_the_player(tmp_path, monkeypatch):
    fake_player(tmp_path / "bin", "paplay", "time.sleep(5)")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.play("critical") is True
    [child] = sounds.children
    try:
        assert child.poll() is None  # play returned while the player still runs
        assert sounds.play("high") is True
        assert len(sounds.children) == 2  # a running player is kept, not reaped
    finally:
        for started in sounds.children:
            started.kill()
            started.wait(10)


@pytest.mark.skipif(not hasattr(os, "waitid"), reason="needs waitid to look without reaping")
def test_finished_players_are_reaped_on_the_next_play(tmp_path, monkeypatch):
    fake_player(tmp_path / "bin", "paplay", "")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.play("low") is True
    [first] = sounds.children
    os.waitid(os.P_PID, first.pid, os.WEXITED | os.WNOWAIT)  # it has exited, unreaped
    assert first.returncode is None
    assert sounds.play("low") is True
    assert first.returncode == 0 and first not in sounds.children
    with pytest.raises(ChildProcessError):  # no zombie left to collect
        os.waitid(os.P_PID, first.pid, os.WEXITED | os.WNOHANG)
    for started in sounds.children:
        started.wait(10)
    sounds.reap()
    assert sounds.children == []


def test_prepare_writes_every_sound_ahead_of_the_first_alarm(tmp_path, monkeypatch):
    recording_player(tmp_path, monkeypatch)
    sounds = AlarmSounds(tmp_path / "sounds")
    sounds.prepare()
    written = sorted(p.name for p in (tmp_path / "sounds").iterdir())
    assert written == sorted(f"alarm-{s}-v{VERSION}.wav" for s in alarm_sounds.PATTERNS)


def test_prepare_writes_nothing_without_a_player(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    sounds = AlarmSounds(tmp_path / "sounds")
    sounds.prepare()
    assert not (tmp_path / "sounds").exists()


@posix_only
def test_a_player_that_fails_after_starting_makes_the_next_alarm_fall_back(tmp_path, monkeypatch):
    failing = tmp_path / "fail"
    failing.write_text("yes")
    fake_player(
        tmp_path / "bin",
        "paplay",
        f"sys.exit(1 if pathlib.Path({str(failing)!r}).exists() else 0)",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.play("critical") is True  # started; how it ends is not known yet
    sounds.children[0].wait(10)
    assert sounds.play("critical") is False  # the last one failed: sound another way too
    assert sounds.problem is not None and "exited with status 1" in sounds.problem
    for child in sounds.children:
        child.wait(10)  # this one fails too
    failing.unlink()  # the device is back
    assert sounds.play("critical") is False  # still tried, while the last one had failed
    for child in sounds.children:
        child.wait(10)
    assert sounds.play("critical") is True and sounds.problem is None  # it played again
    for child in sounds.children:
        child.wait(10)


@posix_only
def test_stop_cuts_short_every_sound_playing(tmp_path, monkeypatch):
    fake_player(tmp_path / "bin", "paplay", "time.sleep(30)")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.play("critical") and sounds.play("high")
    started = list(sounds.children)
    began = time.monotonic()
    sounds.stop()
    assert time.monotonic() - began < 0.5  # asks them to end, never waits for it
    assert sounds.children == []
    wait_for(lambda: all(child.poll() is not None for child in started), timeout=5)
    assert sounds.play("low") is True  # and the next alarm plays
    assert sounds.player_failed is None  # stopped on purpose: not a failing player
    sounds.stop()


@posix_only
def test_a_player_that_ignores_stop_is_killed_at_the_next_reap(tmp_path, monkeypatch):
    fake_player(
        tmp_path / "bin",
        "paplay",
        "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "print('ready', flush=True)\ntime.sleep(30)",
    )
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    sounds = AlarmSounds(tmp_path / "sounds")
    assert sounds.play("critical")
    [stubborn] = sounds.children
    time.sleep(0.5)  # let it ignore SIGTERM before it is sent
    sounds.stop()
    time.sleep(0.2)
    assert stubborn.poll() is None  # still playing
    sounds.reap()
    wait_for(lambda: stubborn.poll() is not None, timeout=5)


def test_stop_with_nothing_playing_does_nothing(tmp_path):
    sounds = AlarmSounds(tmp_path, player=None)
    sounds.stop()
    assert sounds.children == []
