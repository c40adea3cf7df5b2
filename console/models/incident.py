"""Incidents and their notes (comments and system notes)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow

INCIDENT_LABEL = "incident"
ALERT_BOT = "Alert Bot"


class IncidentStatus(enum.StrEnum):
    """Whether an incident is being worked on."""

    OPEN = "open"
    CLOSED = "closed"


class Incident(Base):
    """An incident: a numbered Markdown issue with notes, linked to the alerts that raised it."""

    __tablename__ = "incidents"

    iid: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default=IncidentStatus.OPEN.value)
    severity: Mapped[str] = mapped_column(String(20), default="critical")
    labels: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignees: Mapped[list[str]] = mapped_column(JSON, default=list)
    zoom_url: Mapped[str | None] = mapped_column(String(255), nullable=True)
    author: Mapped[str] = mapped_column(String(255), default=ALERT_BOT)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (Index("ix_incidents_status", "status"),)


class Note(Base):
    """A comment or a system note, on an incident, an alert, or both.

    A system note about an alert that has an incident is attached to both, so the alert's
    activity and the incident's timeline tell the same story. The notes an alert's creation
    makes ("logged an alert from ...", "created incident #N ...") are not stored but
    derived from the alert (console/derived_notes.py); read notes through that module.
    """

    __tablename__ = "notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    incident_iid: Mapped[int | None] = mapped_column(
        ForeignKey("incidents.iid", ondelete="CASCADE"), nullable=True
    )
    alert_iid: Mapped[int | None] = mapped_column(
        ForeignKey("alerts.iid", ondelete="CASCADE"), nullable=True
    )
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    system: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    __table_args__ = (
        Index("ix_notes_incident_iid", "incident_iid"),
        Index("ix_notes_alert_iid", "alert_iid"),
    )
