"""Integrations: the endpoints alerts arrive on, each with its own secret token."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from console.models.base import Base, UTCDateTime, utcnow

INTEGRATION_TYPES = ("http", "prometheus")


class Integration(Base):
    """One alert endpoint: `POST /alerts/notify/<slug>/<identifier>.json`.

    The token is never stored: only its SHA-256, which is enough because tokens are 128-bit
    random values (no dictionary to guess from, so no salt or slow hash is needed).
    """

    __tablename__ = "integrations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    slug: Mapped[str] = mapped_column(String(255))
    identifier: Mapped[str] = mapped_column(String(16), unique=True)
    type: Mapped[str] = mapped_column(String(20), default="http")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    last_alert_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    @property
    def url_path(self) -> str:
        """The listener path alerts are posted to."""
        return f"/alerts/notify/{self.slug}/{self.identifier}.json"
