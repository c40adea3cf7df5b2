"""The alarm: which unacknowledged alerts keep sounding, muting, and repeat intervals."""

from __future__ import annotations

from console.engine.alarm import REPEAT_SECONDS, alarm_for, sounding_alerts
from console.models import Alert, utcnow

ROWS = [
    (1, "triggered", "high"),
    (2, "acknowledged", "critical"),
    (3, "triggered", "critical"),
    (4, "resolved", "critical"),
    (5, "triggered", "low"),
]


def test_only_triggered_alerts_of_chosen_severities_sound():
    alarm = alarm_for(ROWS, ["critical", "high"])
    assert alarm is not None
    assert alarm.severity == "critical" and alarm.iids == (1, 3)
    assert alarm.repeat_seconds == REPEAT_SECONDS["critical"]


def test_acknowledging_silences():
    acked = [(i, "acknowledged" if s == "triggered" else s, sev) for i, s, sev in ROWS]
    assert alarm_for(acked, ["critical", "high", "low"]) is None


def test_nothing_sounds_without_chosen_severities():
    assert alarm_for(ROWS, []) is None
    assert alarm_for(ROWS, ["info"]) is None


def test_loudest_is_the_most_severe():
    alarm = alarm_for(ROWS, ["high", "low"])
    assert alarm is not None and alarm.severity == "high"
    assert alarm.repeat_seconds > REPEAT_SECONDS["critical"]


def test_mute_silences_current_alerts_until_a_new_one_sounds():
    assert alarm_for(ROWS, ["critical", "high"], muted_through=3) is None
    later = [*ROWS, (6, "triggered", "high")]
    alarm = alarm_for(later, ["critical", "high"], muted_through=3)
    assert alarm is not None and alarm.iids == (6,) and alarm.severity == "high"


def test_severity_names_are_matched_case_insensitively():
    alarm = alarm_for(ROWS, [" Critical "])
    assert alarm is not None and alarm.iids == (3,)


def test_store_query_returns_triggered_alerts_of_the_severities(store):
    with store.write() as session:
        for iid, status, severity in ROWS:
            session.add(
                Alert(
                    iid=iid,
                    title=f"a{iid}",
                    status=status,
                    severity=severity,
                    started_at=utcnow(),
                    fingerprint=f"fp{iid}",
                )
            )
    with store.read() as session:
        assert sounding_alerts(session, ["critical", "high"]) == [
            (3, "triggered", "critical"),
            (1, "triggered", "high"),
        ]
        assert sounding_alerts(session, []) == []
