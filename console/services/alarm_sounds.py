"""The alarm's sounds: one short tone pattern per severity, and the platform's player for them.

Owns the sound files and playing them. Each severity's pattern is synthesised here (16-bit
mono WAV at 22050 Hz, faded in and out so it does not click) and written once into the
user's cache folder; the file name carries `VERSION`, so a changed pattern writes new files,
and a file that is missing or unreadable is written again.

Playing never waits: Windows plays asynchronously with `winsound`, macOS starts `afplay`,
and elsewhere the first of `paplay`, `pw-play` and `aplay` on PATH is started and left to
run; players that have finished are reaped on the next play. When there is no player, one
cannot be started, or the last one failed (exited non-zero: a player with no sound device
starts and fails), `play` returns False and `problem` says why, so the caller can fall back
to another sound; a failed player is still tried, and once it plays again all is well.
"""

from __future__ import annotations

import contextlib
import importlib.util
import logging
import math
import os
import shutil
import subprocess
import sys
import threading
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import platformdirs

from console.config import APP_NAME

log = logging.getLogger(__name__)

VERSION: Final = 1  # bump when a pattern changes: the cached files are then written anew
SAMPLE_RATE: Final = 22050
SAMPLE_WIDTH: Final = 2  # bytes: 16-bit
CHANNELS: Final = 1
FADE_SECONDS: Final = 0.006
FULL_SCALE: Final = 32767
LINUX_PLAYERS: Final = ("paplay", "pw-play", "aplay")

Partials = tuple[tuple[float, float], ...]  # (frequency ratio, weight)
PURE: Final[Partials] = ((1.0, 1.0),)
BRIGHT: Final[Partials] = ((1.0, 1.0), (3.0, 0.3), (5.0, 0.12))  # odd harmonics: piercing
BELL: Final[Partials] = ((1.0, 1.0), (2.76, 0.35), (5.4, 0.1))  # inharmonic: a chime


@dataclass(frozen=True, slots=True)
class Note:
    """A tone (or, at 0 Hz, a rest). Notes that follow one another without a rest are
    joined without a fade, so a siren changes pitch without a gap."""

    hz: float
    seconds: float
    volume: float = 0.0
    partials: Partials = PURE
    decay: float = 0.0  # exponential fall per second, for chimes

    @property
    def frames(self) -> int:
        """How many samples the note lasts."""
        return round(self.seconds * SAMPLE_RATE)


def _rest(seconds: float) -> Note:
    return Note(0.0, seconds)


PATTERNS: Final[dict[str, tuple[Note, ...]]] = {
    # A fast two-tone siren, 1.2 s.
    "critical": tuple(Note(1320.0 if i % 2 == 0 else 990.0, 0.15, 1.0, BRIGHT) for i in range(8)),
    # Three rising beeps.
    "high": (
        Note(660.0, 0.12, 0.85, BRIGHT),
        _rest(0.06),
        Note(880.0, 0.12, 0.85, BRIGHT),
        _rest(0.06),
        Note(1100.0, 0.16, 0.85, BRIGHT),
    ),
    # Two beeps.
    "medium": (Note(740.0, 0.16, 0.6), _rest(0.1), Note(740.0, 0.16, 0.6)),
    # One soft chime; info's is lower and quieter.
    "low": (Note(880.0, 0.6, 0.4, BELL, decay=6.0),),
    "info": (Note(660.0, 0.5, 0.28, BELL, decay=7.0),),
    # One plain short beep.
    "unknown": (Note(523.25, 0.25, 0.4),),
}


def pattern_name(severity: str) -> str:
    """The pattern a severity sounds with: its own, or `unknown` for anything unexpected."""
    return severity if severity in PATTERNS else "unknown"


def frame_count(severity: str) -> int:
    """How many samples a severity's sound has."""
    return sum(note.frames for note in PATTERNS[pattern_name(severity)])


def synthesise(severity: str) -> array[int]:
    """The 16-bit samples of a severity's sound."""
    notes = PATTERNS[pattern_name(severity)]
    samples: array[int] = array("h")
    fade = max(1, round(FADE_SECONDS * SAMPLE_RATE))
    phase = 0.0  # kept across joined notes so that a pitch change does not click
    for index, note in enumerate(notes):
        if note.hz <= 0:
            samples.extend([0] * note.frames)
            phase = 0.0
            continue
        fade_in = index == 0 or notes[index - 1].hz <= 0
        fade_out = index == len(notes) - 1 or notes[index + 1].hz <= 0
        step = 2 * math.pi * note.hz / SAMPLE_RATE
        scale = FULL_SCALE * note.volume / sum(weight for _ratio, weight in note.partials)
        last = note.frames - 1
        for k in range(note.frames):
            envelope = math.exp(-note.decay * k / SAMPLE_RATE) if note.decay else 1.0
            if fade_in and k < fade:
                envelope *= k / fade
            if fade_out and last - k < fade:
                envelope *= (last - k) / fade
            wave_value = sum(weight * math.sin(ratio * phase) for ratio, weight in note.partials)
            samples.append(round(scale * envelope * wave_value))
            phase += step
    if sys.byteorder == "big":  # WAV samples are little-endian
        samples.byteswap()
    return samples


def default_folder() -> Path:
    """Where the sound files are kept: the console's folder in the user's cache."""
    return Path(platformdirs.user_cache_dir(APP_NAME, appauthor=False)) / "sounds"


def _is_current(path: Path, frames: int) -> bool:
    try:
        with path.open("rb") as file, wave.open(file, "rb") as sound:
            shape = (sound.getnchannels(), sound.getsampwidth(), sound.getframerate())
            if shape != (CHANNELS, SAMPLE_WIDTH, SAMPLE_RATE) or sound.getnframes() != frames:
                return False
            return len(sound.readframes(frames)) == frames * SAMPLE_WIDTH
    except (OSError, EOFError, wave.Error):
        return False


def sound_file(severity: str, folder: Path | None = None) -> Path:
    """The WAV file of a severity's sound, written first if it is missing or unreadable."""
    name = pattern_name(severity)
    folder = folder if folder is not None else default_folder()
    path = folder / f"alarm-{name}-v{VERSION}.wav"
    if _is_current(path, frame_count(name)):
        return path
    folder.mkdir(parents=True, exist_ok=True)
    # Never a half-written file to play; one name per writer (process and thread: the
    # sounds are prepared in the background while an alarm may already want one).
    partial = folder / f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp"
    try:
        with partial.open("wb") as file, wave.open(file, "wb") as sound:
            sound.setnchannels(CHANNELS)
            sound.setsampwidth(SAMPLE_WIDTH)
            sound.setframerate(SAMPLE_RATE)
            sound.writeframes(synthesise(name).tobytes())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return path


@dataclass(frozen=True, slots=True)
class Player:
    """A program that plays a WAV file given as its last argument; no command: `winsound`."""

    name: str
    command: tuple[str, ...] = ()


def find_player(platform: str = sys.platform) -> Player | None:
    """The sound player for the platform, or None when there is none."""
    if platform == "win32":
        return Player("winsound") if importlib.util.find_spec("winsound") else None
    for name in ("afplay",) if platform == "darwin" else LINUX_PLAYERS:
        found = shutil.which(name)
        if found:
            return Player(name, (found,))
    return None


def _play_winsound(path: Path) -> None:
    if sys.platform == "win32":
        import winsound

        winsound.PlaySound(str(path), winsound.SND_FILENAME | winsound.SND_ASYNC)
    else:
        raise OSError("winsound is only on Windows")


def _stop_winsound() -> None:
    if sys.platform == "win32":
        import winsound

        winsound.PlaySound(None, 0)  # stops what SND_ASYNC started


class AlarmSounds:
    """Plays a severity's sound without waiting for it; `problem` says why one did not play."""

    def __init__(self, folder: Path | None = None, player: Player | None = None) -> None:
        self.folder = folder
        self.player = player if player is not None else find_player()
        self.problem: str | None = None
        self.children: list[subprocess.Popen[bytes]] = []
        # Why the last player to finish failed (None if it played): a player that starts
        # but cannot play (no sound device) is otherwise silent.
        self.player_failed: str | None = None
        self._last_warning: str | None = None
        self._stopping: list[subprocess.Popen[bytes]] = []  # asked to end by `stop`

    def _warn(self, message: str) -> None:
        if message != self._last_warning:  # a repeating alarm would repeat it every time
            self._last_warning = message
            log.warning("%s", message)

    def reap(self) -> None:
        """Forget players that have finished (collecting their exit status)."""
        running = []
        for child in self.children:
            code = child.poll()
            if code is None:
                running.append(child)
            elif code == 0:
                self.player_failed = None
            else:
                name = self.player.name if self.player is not None else "the player"
                self.player_failed = f"Alarm sound player {name} exited with status {code}"
                self._warn(self.player_failed)
        self.children = running
        stopping = []
        for child in self._stopping:
            if child.poll() is None:
                with contextlib.suppress(OSError):
                    child.kill()  # it had a whole alarm interval to end on its own
                stopping.append(child)
        self._stopping = stopping

    @property
    def unreaped(self) -> bool:
        """Whether a player started or stopped here has not been collected yet."""
        return bool(self.children or self._stopping)

    def stop(self) -> None:
        """Cut short every sound still playing (the alarm was muted or acknowledged).

        Never waits: the players are asked to end, and collected by a later `reap`, which
        kills any that ignored the request. Their exit status from the signal says nothing
        about the player, so it does not count as a failure.
        """
        for child in self.children:
            if child.poll() is None:
                with contextlib.suppress(OSError):  # it ended meanwhile
                    child.terminate()
                self._stopping.append(child)
        self.children = []
        if self.player is not None and not self.player.command:
            with contextlib.suppress(RuntimeError, OSError):
                _stop_winsound()

    def prepare(self) -> None:
        """Write every severity's sound now (when there is a player to play them), so the
        first alarm does not synthesise one while the caller waits."""
        if self.player is None:
            return
        for severity in PATTERNS:
            try:
                sound_file(severity, self.folder)
            except OSError as error:
                self._warn(f"Cannot write the alarm sounds: {error}")
                return

    def play(self, severity: str) -> bool:
        """Start playing a severity's sound; False (see `problem`) when it could not start,
        or when the last player failed: it is still tried (it may have recovered), but the
        caller should sound another way too."""
        self.reap()
        if self.player is None:
            self.problem = "No sound player found"
            if sys.platform not in {"win32", "darwin"}:
                self.problem += f" (looked for {', '.join(LINUX_PLAYERS)} on PATH)"
            return False
        try:
            path = sound_file(severity, self.folder)
            if self.player.command:
                self.children.append(
                    subprocess.Popen(
                        [*self.player.command, str(path)],
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.DEVNULL,
                        stderr=subprocess.DEVNULL,
                    )
                )
            else:
                _play_winsound(path)
        except (OSError, RuntimeError, wave.Error) as error:
            self.problem = f"Cannot play the alarm sound with {self.player.name}: {error}"
            self._warn(self.problem)
            return False
        self.problem = self.player_failed
        return self.player_failed is None
