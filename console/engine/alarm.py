"""Which alerts keep the alarm sounding, and how often it repeats.

An alert sounds while it is triggered (not yet acknowledged, resolved or ignored) and its
severity is one of the `sound_severities` setting. Muting silences the alerts sounding at
that moment; an alert that starts sounding afterwards sounds again, so a muted wall display
never sleeps through a new critical. Pure: the sound itself is played by the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.models import Alert, AlertStatus, Severity

SEVERITY_ORDER = tuple(s.value for s in Severity)
# Seconds between repeats: the more severe, the more insistent.
REPEAT_SECONDS = {"critical": 4.0, "high": 8.0, "medium": 15.0, "low": 30.0}
DEFAULT_REPEAT_SECONDS = 60.0
SCAN_LIMIT = 5000  # more than this many unacknowledged alerts all say the same: sound


@dataclass(frozen=True, slots=True)
class Alarm:
    """What should sound now: the most severe severity among the sounding alerts."""

    severity: str
    iids: tuple[int, ...]

    @property
    def repeat_seconds(self) -> float:
        """How long to wait before sounding again."""
        return REPEAT_SECONDS.get(self.severity, DEFAULT_REPEAT_SECONDS)


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)


def alarm_for(
    alerts: Iterable[tuple[int, str, str]],
    severities: Iterable[str],
    muted_through: int | None = None,
) -> Alarm | None:
    """The alarm for `(iid, status, severity)` rows, or None when nothing should sound.

    `muted_through` is the newest alert number that was sounding when the alarm was muted:
    alerts up to it stay silent, newer ones sound.
    """
    wanted = {s.strip().lower() for s in severities}
    sounding = [
        (iid, severity)
        for iid, status, severity in alerts
        if status == AlertStatus.TRIGGERED.value
        and severity in wanted
        and (muted_through is None or iid > muted_through)
    ]
    if not sounding:
        return None
    loudest = min((severity for _iid, severity in sounding), key=_rank)
    return Alarm(loudest, tuple(sorted(iid for iid, _severity in sounding)))


def sounding_alerts(session: Session, severities: Iterable[str]) -> list[tuple[int, str, str]]:
    """Triggered alerts of the given severities as `(iid, status, severity)`, newest first."""
    wanted = [s.strip().lower() for s in severities]
    if not wanted:
        return []
    rows = session.execute(
        select(Alert.iid, Alert.status, Alert.severity)
        .where(Alert.status == AlertStatus.TRIGGERED.value, Alert.severity.in_(wanted))
        .order_by(Alert.iid.desc())
        .limit(SCAN_LIMIT)
    )
    return [(int(iid), str(status), str(severity)) for iid, status, severity in rows]
