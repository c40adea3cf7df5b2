"""The alarm sound: repeats while alerts of chosen severities are unacknowledged.

Which alerts sound is decided in `console.engine.alarm` (pure, tested); this module only
keeps time and makes the noise. The `sound_severities` setting is read fresh at every check,
and the check runs on every batch of new alerts and on a timer, so acknowledging from this
window, the command line or another console silences it within a repeat.

The noise is a tone pattern per severity played by the platform's own player
(`console.services.alarm_sounds`; PySide6-Essentials has no QtMultimedia), and the platform
bell (`QApplication.beep`) when there is no player or one fails to start. Another
`SoundBackend` can replace both without touching the rest.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication

from console.admin.settings import load_settings
from console.engine.alarm import Alarm, alarm_for, sounding_alerts
from console.services.alarm_sounds import AlarmSounds
from console.views.context import ViewContext

CHECK_MS = 1000


class SoundBackend(Protocol):
    """Plays the alarm once for a severity, and cuts short what is playing."""

    def play(self, severity: str) -> None: ...

    def stop(self) -> None: ...


REAP_MS = 1000


class BeepBackend:
    """The platform bell; critical rings twice so it is told apart from a single beep."""

    def __init__(self) -> None:
        self._second = QTimer()
        self._second.setSingleShot(True)
        self._second.setInterval(250)
        self._second.timeout.connect(QApplication.beep)

    def play(self, severity: str) -> None:
        QApplication.beep()
        if severity == "critical":
            self._second.start()

    def stop(self) -> None:
        self._second.stop()  # a beep itself is over at once


class WavBackend:
    """The severity's own sound through the platform's player; the fallback (the bell) when
    there is no player or the sound cannot be started."""

    def __init__(
        self, sounds: AlarmSounds | None = None, fallback: SoundBackend | None = None
    ) -> None:
        self.sounds = sounds if sounds is not None else AlarmSounds()
        self.fallback: SoundBackend = fallback if fallback is not None else BeepBackend()
        # Written off the GUI thread: synthesising a sound takes ~20 ms.
        threading.Thread(target=self.sounds.prepare, name="alarm-sounds", daemon=True).start()
        # Finished and stopped players are collected within a second, not at the next alarm
        # (until then each would stay a zombie process, for days on a quiet wall display).
        self._reaper = QTimer()
        self._reaper.setInterval(REAP_MS)
        self._reaper.timeout.connect(self._reap)

    def play(self, severity: str) -> None:
        if not self.sounds.play(severity):
            self.fallback.play(severity)
        self._watch_players()

    def stop(self) -> None:
        self.sounds.stop()
        self.fallback.stop()
        self._watch_players()

    def _watch_players(self) -> None:
        if self.sounds.unreaped and not self._reaper.isActive():
            self._reaper.start()

    def _reap(self) -> None:
        self.sounds.reap()
        if not self.sounds.unreaped:
            self._reaper.stop()


class SoundAlarm(QObject):
    """Sounds the alarm while it should; `mute()` silences what is sounding now."""

    playing_changed = Signal(bool)
    muted_changed = Signal(bool)

    def __init__(
        self,
        ctx: ViewContext,
        parent: QObject | None = None,
        *,
        backend: SoundBackend | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.backend: SoundBackend = backend or WavBackend()
        self.clock = clock
        self.alarm: Alarm | None = None
        self.muted_through: int | None = None
        self._last_played = float("-inf")
        self._sounding_now: tuple[int, ...] = ()
        self._timer = QTimer(self)
        self._timer.setInterval(CHECK_MS)
        self._timer.timeout.connect(self.check)
        self._timer.start()
        ctx.updates.changed.connect(lambda alerts, _incidents: self.check() if alerts else None)

    @property
    def is_playing(self) -> bool:
        """Whether the alarm is sounding (repeating) now."""
        return self.alarm is not None

    @property
    def is_muted(self) -> bool:
        """Whether a mute is holding alerts silent that would otherwise sound."""
        return self.muted_through is not None

    def mute(self) -> None:
        """Silence every alert sounding now; a newer one will sound again."""
        if not self._sounding_now:
            return  # nothing to silence
        self.muted_through = max(self._sounding_now)
        self.muted_changed.emit(True)
        self.check()

    def unmute(self) -> None:
        """Let muted alerts sound again."""
        if self.muted_through is None:
            return
        self.muted_through = None
        self.muted_changed.emit(False)
        self.check()

    def toggle_mute(self) -> None:
        """M: silence what sounds; when only muted alerts are left, let them sound again."""
        if self.is_playing or not self.is_muted:
            self.mute()
        else:
            self.unmute()

    def check(self) -> None:
        """Decide whether to sound, and sound if the repeat interval has passed."""
        with self.ctx.store.read() as session:
            severities = list(load_settings(session).get("sound_severities") or [])
            rows = sounding_alerts(session, severities)
        self._sounding_now = tuple(iid for iid, _status, _severity in rows)
        if self.muted_through is not None and not any(
            iid <= self.muted_through for iid in self._sounding_now
        ):
            # Everything muted has been acknowledged: the mute has done its job.
            self.muted_through = None
            self.muted_changed.emit(False)
        alarm = alarm_for(rows, severities, self.muted_through)
        was_playing = self.alarm is not None
        self.alarm = alarm
        if alarm is None:
            if was_playing:
                # Muted or acknowledged: silence now, not when the sound would have ended.
                self.backend.stop()
                self.playing_changed.emit(False)
            return
        if not was_playing:
            self.playing_changed.emit(True)
            self._last_played = float("-inf")
        now = self.clock()
        if now - self._last_played >= alarm.repeat_seconds:
            self._last_played = now
            self.backend.play(alarm.severity)
