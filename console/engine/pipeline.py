"""The alert pipeline: what each normalized alert does to the store, a batch at a time.

One call handles a whole batch of submissions inside one write transaction (group commit):
it reads the open alerts for every fingerprint in the batch with one query, decides in memory
(new alert, repeat, acknowledgement, recovery, incident creation, auto-close), then writes
the rows with a handful of multi-row statements (console/engine/batch_statements.py runs
them, on SQLite through the driver's own cursor). Decisions are made in submission order, so
two notifications for one fingerprint in the same batch behave exactly as if they had been
committed one after the other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection
from sqlalchemy.orm import Session

from console.admin.settings import load_settings
from console.engine import describe, template_actions
from console.engine.batch_statements import statements_for
from console.ingest.normalized import Action, NormalizedAlert
from console.models import (
    ALERT_BOT,
    INCIDENT_LABEL,
    Alert,
    AlertEvent,
    AlertStatus,
    Incident,
    IncidentStatus,
    Note,
    utcnow,
)

GENERIC_SOURCE = "Generic Alert Endpoint"
FINGERPRINT_CHUNK = 500


class Outcome:
    """What a notification did (the values appear in listener responses)."""

    CREATED = "created"
    REPEATED = "repeated"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    NO_OPEN_ALERT = "no_open_alert"


@dataclass(frozen=True, slots=True)
class Source:
    """The integration a submission arrived on."""

    integration_id: int | None
    name: str


@dataclass(slots=True)
class PreparedAlert:
    """The parts of an alert's rows that do not depend on what the store holds.

    Built by `prepare` when the alert is queued, so serve workers do not build them while
    holding the store's write lock: its event's payload, and for a trigger the columns a
    new alert would get, but for its number, status, incident and the batch's times. A
    trigger that turns out to repeat an open alert leaves its columns unused: about a
    microsecond spent outside the lock, against building them inside it for every new one.
    """

    payload: str
    columns: dict[str, Any] | None


@dataclass(slots=True)
class Submission:
    """The alerts of one accepted request, waiting for their commit."""

    source: Source
    alerts: list[NormalizedAlert]
    received_at: datetime = field(default_factory=utcnow)
    # One per alert once `prepare` has run (the writer runs it when the request is queued).
    prepared: list[PreparedAlert] | None = None


def prepare(submission: Submission) -> list[PreparedAlert]:
    """The submission's alerts' store-independent rows, built once."""
    if submission.prepared is None:
        submission.prepared = [_prepared(alert, submission) for alert in submission.alerts]
    return submission.prepared


def _prepared(alert: NormalizedAlert, sub: Submission) -> PreparedAlert:
    payload = orjson.dumps(alert.payload, default=str).decode()
    if alert.action is not Action.TRIGGER:
        return PreparedAlert(payload, None)
    columns: dict[str, Any] = {
        "integration_id": sub.source.integration_id,
        "fingerprint": alert.fingerprint,
        "title": alert.title,
        "description": alert.description,
        "severity": alert.severity,
        "service": alert.service,
        "monitoring_tool": alert.monitoring_tool,
        "hosts": alert.hosts,
        "environment": alert.environment,
        "runbook": alert.runbook,
        "full_query": alert.full_query,
        "source_key": alert.source_key,
        # The "logged an alert from ..." note is derived from this, not stored
        # (console/derived_notes.py).
        "logged_from": source_name(alert, sub.source)[:255],
        "details": alert.details,
        "started_at": alert.started_at,
        "last_seen_at": sub.received_at,
    }
    return PreparedAlert(payload, columns)


@dataclass(frozen=True, slots=True)
class AlertResult:
    """What happened to one alert of a submission, once committed."""

    outcome: str
    alert_iid: int | None
    title: str
    status: str | None
    fingerprint: str | None
    source_key: str
    incident_iid: int | None
    incident_created: bool = False
    incident_closed: bool = False

    def as_json(self) -> dict[str, Any]:
        """The shape listener responses use."""
        return {
            "iid": self.alert_iid,
            "title": self.title,
            "status": self.status,
            "outcome": self.outcome,
            "fingerprint": self.fingerprint,
            "incident_iid": self.incident_iid,
        }


@dataclass(slots=True)
class _OpenAlert:
    """An unresolved alert as the batch sees it, with the changes the batch makes."""

    iid: int
    title: str
    status: str
    incident_iid: int | None
    incident_open: bool
    monitoring_tool: str = ""
    events_added: int = 0
    last_seen_at: datetime | None = None
    ended_at: datetime | None = None
    changed: bool = False
    row: dict[str, Any] | None = None  # set when the alert is new in this batch


@dataclass(slots=True)
class _Rows:
    """Everything the batch will write."""

    alerts: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    notes: list[dict[str, Any]] = field(default_factory=list)
    closed_incidents: list[int] = field(default_factory=list)
    updated: dict[int, _OpenAlert] = field(default_factory=dict)
    integrations_seen: dict[int, datetime] = field(default_factory=dict)


def source_name(alert: NormalizedAlert, source: Source, known_tool: str = "") -> str:
    """Who "logged" an alert: its monitoring tool, else the integration, else the endpoint.

    `known_tool` is the tool the open alert came from, for recoveries that do not repeat it.
    """
    return alert.monitoring_tool or known_tool or source.name or GENERIC_SOURCE


class _Batch:
    """The decisions for one batch; `run` applies them and returns results per submission."""

    def __init__(self, conn: Connection, settings: dict[str, Any]) -> None:
        self.sql = statements_for(conn)
        self.now = utcnow()
        self.create_incidents = bool(
            settings.get("incident_management") and settings.get("create_incident")
        )
        self.auto_close = bool(
            settings.get("incident_management") and settings.get("auto_close_incident")
        )
        self.template_name = str(settings.get("issue_template") or "")
        self._template: str | None = None
        self._template_actions: template_actions.TemplateActions | None = None
        self.rows = _Rows()
        self.open: dict[str, _OpenAlert] = {}
        self.next_alert_iid = 0
        self.next_incident_iid = 0

    def load(self, submissions: list[Submission]) -> None:
        fingerprints = sorted(
            {a.fingerprint for s in submissions for a in s.alerts if a.fingerprint is not None}
        )
        for start in range(0, len(fingerprints), FINGERPRINT_CHUNK):
            chunk = fingerprints[start : start + FINGERPRINT_CHUNK]
            for iid, fp, title, status, incident_iid, incident_status, tool in self.sql.open_alerts(
                chunk
            ):
                if fp is None:  # excluded by the query; keeps the types honest
                    continue
                self.open[fp] = _OpenAlert(
                    iid=iid,
                    title=title,
                    status=status,
                    incident_iid=incident_iid,
                    incident_open=incident_status == IncidentStatus.OPEN.value,
                    monitoring_tool=tool,
                )
        self.next_alert_iid = self.sql.max_alert_iid() + 1

    def template(self) -> str:
        if self._template is None:
            self._template = ""
            if self.template_name:
                self._template = self.sql.template(self.template_name) or ""
                # Quick actions in the template act on each incident instead of showing.
                self._template_actions = template_actions.template_actions(self._template)
                if self._template_actions is not None:
                    self._template = self._template_actions.text
        return self._template

    def allocate_incident_iid(self) -> int:
        if not self.next_incident_iid:
            self.next_incident_iid = self.sql.max_incident_iid() + 1
        iid = self.next_incident_iid
        self.next_incident_iid += 1
        return iid

    def note(self, body: str, *, alert_iid: int | None, incident_iid: int | None) -> None:
        self.rows.notes.append(
            {
                "alert_iid": alert_iid,
                "incident_iid": incident_iid,
                "author": ALERT_BOT,
                "body": body,
                "system": True,
                "created_at": self.now,
            }
        )

    def event(self, alert_iid: int, sub: Submission, kind: str, prepared: PreparedAlert) -> None:
        self.rows.events.append(
            {
                "alert_iid": alert_iid,
                "integration_id": sub.source.integration_id,
                "kind": kind,
                "received_at": sub.received_at,
                "payload": prepared.payload,
            }
        )

    def apply(
        self, sub: Submission, alert: NormalizedAlert, prepared: PreparedAlert
    ) -> AlertResult:
        if sub.source.integration_id is not None:
            self.rows.integrations_seen[sub.source.integration_id] = sub.received_at
        fp = alert.fingerprint
        current = self.open.get(fp) if fp is not None else None
        if alert.action is Action.TRIGGER:
            if current is None:
                return self.create(sub, alert, prepared)
            return self.repeat(sub, alert, current, prepared)
        if current is None:
            return AlertResult(
                Outcome.NO_OPEN_ALERT, None, alert.title, None, fp, alert.source_key, None
            )
        if alert.action is Action.ACKNOWLEDGE:
            return self.acknowledge(sub, alert, current, prepared)
        return self.resolve(sub, alert, current, prepared)

    def create(
        self, sub: Submission, alert: NormalizedAlert, prepared: PreparedAlert
    ) -> AlertResult:
        iid = self.next_alert_iid
        self.next_alert_iid += 1
        assert prepared.columns is not None  # prepared for every trigger
        # A copy: a batch that fails is written again one submission at a time.
        row = dict(prepared.columns)
        row["iid"] = iid
        row["status"] = AlertStatus.TRIGGERED.value
        row["events"] = 1
        row["ended_at"] = None
        row["created_at"] = row["updated_at"] = self.now
        row["incident_iid"] = None
        self.rows.alerts.append(row)
        self.event(iid, sub, "trigger", prepared)
        state = _OpenAlert(
            iid, alert.title, row["status"], None, False, alert.monitoring_tool, row=row
        )
        if alert.fingerprint is not None:
            self.open[alert.fingerprint] = state
        created = False
        if self.create_incidents:
            incident_iid = self.open_incident(alert)
            row["incident_iid"] = incident_iid
            state.incident_iid = incident_iid
            state.incident_open = True
            # "created incident #N for this alert" is derived too (console/derived_notes.py).
            created = True
        return AlertResult(
            Outcome.CREATED,
            iid,
            alert.title,
            row["status"],
            alert.fingerprint,
            alert.source_key,
            state.incident_iid,
            incident_created=created,
        )

    def open_incident(self, alert: NormalizedAlert) -> int:
        iid = self.allocate_incident_iid()
        row: dict[str, Any] = {
            "iid": iid,
            "title": describe.incident_title(alert.title, iid)[:255],
            "description": describe.incident_description(alert, self.template()),
            "status": IncidentStatus.OPEN.value,
            "severity": alert.severity,
            "labels": [INCIDENT_LABEL],
            "assignees": [],
            "zoom_url": None,
            "author": ALERT_BOT,
            "created_at": self.now,
            "updated_at": self.now,
            "closed_at": None,
        }
        self.rows.incidents.append(row)
        if self._template_actions is not None:
            for body in self._template_actions.apply(row):
                self.note(body, alert_iid=None, incident_iid=iid)
        return iid

    def touch(self, state: _OpenAlert, sub: Submission) -> None:
        state.events_added += 1
        state.last_seen_at = sub.received_at
        if state.row is not None:
            state.row["events"] += 1
            state.row["last_seen_at"] = sub.received_at
            state.row["status"] = state.status
            state.row["ended_at"] = state.ended_at
        else:
            self.rows.updated[state.iid] = state

    def repeat(
        self, sub: Submission, alert: NormalizedAlert, state: _OpenAlert, prepared: PreparedAlert
    ) -> AlertResult:
        self.event(state.iid, sub, "repeat", prepared)
        self.touch(state, sub)
        return AlertResult(
            Outcome.REPEATED,
            state.iid,
            state.title,
            state.status,
            alert.fingerprint,
            alert.source_key,
            state.incident_iid,
        )

    def acknowledge(
        self, sub: Submission, alert: NormalizedAlert, state: _OpenAlert, prepared: PreparedAlert
    ) -> AlertResult:
        self.event(state.iid, sub, "acknowledge", prepared)
        if state.status == AlertStatus.TRIGGERED.value:
            state.status = AlertStatus.ACKNOWLEDGED.value
            state.changed = True
            by = source_name(alert, sub.source, state.monitoring_tool)
            self.note(
                f"changed the status to Acknowledged ({by})",
                alert_iid=state.iid,
                incident_iid=state.incident_iid,
            )
        self.touch(state, sub)
        return AlertResult(
            Outcome.ACKNOWLEDGED,
            state.iid,
            state.title,
            state.status,
            alert.fingerprint,
            alert.source_key,
            state.incident_iid,
        )

    def resolve(
        self, sub: Submission, alert: NormalizedAlert, state: _OpenAlert, prepared: PreparedAlert
    ) -> AlertResult:
        self.event(state.iid, sub, "resolve", prepared)
        state.status = AlertStatus.RESOLVED.value
        state.ended_at = alert.ended_at or sub.received_at
        state.changed = True
        self.touch(state, sub)
        if alert.fingerprint is not None:
            self.open.pop(alert.fingerprint, None)
        source = source_name(alert, sub.source, state.monitoring_tool)
        self.note(
            f"logged a recovery alert from {source}",
            alert_iid=state.iid,
            incident_iid=state.incident_iid,
        )
        self.note(
            "changed the status to Resolved", alert_iid=state.iid, incident_iid=state.incident_iid
        )
        closed = False
        if self.auto_close and state.incident_iid is not None and state.incident_open:
            self.rows.closed_incidents.append(state.incident_iid)
            state.incident_open = False
            self.note(
                "closed this incident because the alert resolved",
                alert_iid=None,
                incident_iid=state.incident_iid,
            )
            closed = True
        return AlertResult(
            Outcome.RESOLVED,
            state.iid,
            state.title,
            state.status,
            alert.fingerprint,
            alert.source_key,
            state.incident_iid,
            incident_closed=closed,
        )

    def write(self) -> None:
        rows, sql = self.rows, self.sql
        if rows.incidents:
            sql.insert(Incident, rows.incidents)
        if rows.updated:
            # Updates first: an alert resolved in this batch must leave the open-fingerprint
            # index before a new alert with the same fingerprint enters it.
            sql.update_alerts(rows.updated.values(), self.now)
        if rows.alerts:
            sql.insert(Alert, rows.alerts)
        if rows.closed_incidents:
            sql.close_incidents(rows.closed_incidents, self.now)
        if rows.events:
            sql.insert(AlertEvent, rows.events)
        if rows.notes:
            sql.insert(Note, rows.notes)
        if rows.integrations_seen:
            sql.integrations_seen(rows.integrations_seen)


def read_settings(conn: Connection) -> dict[str, Any]:
    """The settings as stored now, read on the batch's connection."""
    with Session(bind=conn) as session:
        return load_settings(session)


def process_batch(
    conn: Connection,
    submissions: list[Submission],
    settings: dict[str, Any] | None = None,
) -> list[list[AlertResult]]:
    """Apply a batch of submissions in the caller's transaction; results per submission.

    `settings` may be a recent snapshot (the writer refreshes its copy every second); without
    it they are read in the transaction.
    """
    batch = _Batch(conn, settings if settings is not None else read_settings(conn))
    batch.load(submissions)
    results = [
        [
            batch.apply(sub, alert, ready)
            for alert, ready in zip(sub.alerts, prepare(sub), strict=True)
        ]
        for sub in submissions
    ]
    batch.write()
    return results


__all__ = [
    "AlertResult",
    "Outcome",
    "PreparedAlert",
    "Source",
    "Submission",
    "prepare",
    "process_batch",
]
