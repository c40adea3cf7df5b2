"""Who may post: integrations looked up by identifier, tokens read from the request.

The registry keeps every integration in memory and refreshes it from the store every second
(and at once when an unknown identifier arrives, at most a few times a second), so tokens
regenerated or integrations deactivated from the command line or another console apply
within a second, and no request waits on the store to be authenticated.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
from dataclasses import dataclass

from sqlalchemy import select

from console.admin.integrations import token_matches
from console.models import Integration
from console.store import Store

log = logging.getLogger(__name__)
REFRESH_SECONDS = 1.0
MISS_REFRESH_SECONDS = 0.25


@dataclass(frozen=True, slots=True)
class KnownIntegration:
    """What the listener needs of an integration."""

    id: int
    name: str
    active: bool
    token_hash: str
    mapping: dict[str, str]


def request_token(authorization: str | None) -> str | None:
    """The token of `Authorization: Bearer <t>`, or of Basic auth with `<t>` as the password."""
    if not authorization:
        return None
    scheme, _, value = authorization.strip().partition(" ")
    value = value.strip()
    if scheme.lower() == "bearer":
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _user, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def token_valid(token: str, integration: KnownIntegration) -> bool:
    """Whether the token is the integration's, compared in constant time."""
    return token_matches(token, integration.token_hash)


class IntegrationRegistry:
    """Integrations by identifier, kept fresh from the store."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._by_identifier: dict[str, KnownIntegration] = {}
        self._loaded_at = 0.0
        self._lock = asyncio.Lock()

    def _load(self) -> dict[str, KnownIntegration]:
        with self.store.read() as session:
            rows = session.execute(
                select(
                    Integration.id,
                    Integration.identifier,
                    Integration.name,
                    Integration.active,
                    Integration.token_hash,
                    Integration.mapping,
                )
            ).all()
        return {
            identifier: KnownIntegration(id_, name, active, token_hash, dict(mapping or {}))
            for id_, identifier, name, active, token_hash, mapping in rows
        }

    async def refresh(self) -> None:
        """Reload every integration from the store (off the event loop)."""
        async with self._lock:
            self._by_identifier = await asyncio.to_thread(self._load)
            self._loaded_at = time.monotonic()

    async def get(self, identifier: str) -> KnownIntegration | None:
        """The integration with this identifier, or None."""
        found = self._by_identifier.get(identifier)
        if found is None and time.monotonic() - self._loaded_at > MISS_REFRESH_SECONDS:
            await self.refresh()
            found = self._by_identifier.get(identifier)
        return found

    async def keep_fresh(self) -> None:
        """Refresh every second until cancelled; store errors are retried, not raised."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception as exc:  # the store may be locked or away: keep the old view
                log.warning("could not refresh integrations: %s", exc)
