"""Alerts and alert events: what monitoring tools told us, and every time they told us."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow


class AlertStatus(enum.StrEnum):
    """An alert's place in its lifecycle; any status may be set by hand."""

    TRIGGERED = "triggered"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    IGNORED = "ignored"


OPEN_STATUSES = (AlertStatus.TRIGGERED, AlertStatus.ACKNOWLEDGED)


class Severity(enum.StrEnum):
    """Alert and incident severity, most severe first."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"
    UNKNOWN = "unknown"


class Alert(Base):
    """One alert, identified by `iid` (the number people say) and deduplicated by fingerprint.

    At most one alert per fingerprint is unresolved at a time; the partial unique index makes
    the store itself refuse a second one, whatever process writes.
    """

    __tablename__ = "alerts"

    iid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )
    fingerprint: Mapped[str | None] = mapped_column(String(40), nullable=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=AlertStatus.TRIGGERED.value)
    severity: Mapped[str] = mapped_column(String(20), default=Severity.CRITICAL.value)
    service: Mapped[str] = mapped_column(String(100), default="")
    monitoring_tool: Mapped[str] = mapped_column(String(100), default="")
    hosts: Mapped[str] = mapped_column(String(255), default="")
    environment: Mapped[str] = mapped_column(String(255), default="")
    runbook: Mapped[str] = mapped_column(Text, default="")
    full_query: Mapped[str] = mapped_column(Text, default="")
    source_key: Mapped[str] = mapped_column(String(255), default="")
    # Who "logged" the alert (its tool, integration or endpoint), for the derived note
    # "logged an alert from ..." (console/derived_notes.py); "" before revision 0004.
    logged_from: Mapped[str] = mapped_column(String(255), default="", server_default="")
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    events: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    incident_iid: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.iid", ondelete="SET NULL"), nullable=True
    )

    __table_args__ = (
        Index(
            "uq_alerts_open_fingerprint",
            "fingerprint",
            unique=True,
            sqlite_where=text("status != 'resolved'"),
            postgresql_where=text("status != 'resolved'"),
        ),
        Index("ix_alerts_status_started", "status", "started_at"),
        Index("ix_alerts_started_at", "started_at"),
        # The feed's severity order (see console.feed); both columns never change after insert.
        Index("ix_alerts_severity_started", "severity", "started_at"),
        Index("ix_alerts_incident_iid", "incident_iid"),
    )


class AlertEvent(Base):
    """Every accepted notification about an alert, with the payload it carried."""

    __tablename__ = "alert_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    alert_iid: Mapped[int] = mapped_column(ForeignKey("alerts.iid", ondelete="CASCADE"))
    integration_id: Mapped[int | None] = mapped_column(
        ForeignKey("integrations.id", ondelete="SET NULL"), nullable=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    payload: Mapped[str] = mapped_column(Text)

    __table_args__ = (Index("ix_alert_events_alert_iid", "alert_iid"),)
