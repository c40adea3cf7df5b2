"""Who may post: integrations looked up by identifier, tokens read from the request.

The registry keeps every integration in memory and refreshes it from the store every second,
so tokens regenerated or integrations deactivated from the command line or another console
apply within a second, and no request waits on the store to be authenticated. An identifier
it does not know is looked up once in the store (an integration added a moment ago works at
once); a miss is remembered for a second so a flood of made-up identifiers costs little.
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
MISS_MEMORY_SECONDS = 1.0
MAX_REMEMBERED_MISSES = 10_000


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
        self._misses: dict[str, float] = {}
        self._lock = asyncio.Lock()

    def _load(self, identifier: str | None = None) -> dict[str, KnownIntegration]:
        query = select(
            Integration.id,
            Integration.identifier,
            Integration.name,
            Integration.active,
            Integration.token_hash,
            Integration.mapping,
        )
        if identifier is not None:
            query = query.where(Integration.identifier == identifier)
        with self.store.read() as session:
            rows = session.execute(query).all()
        return {
            identifier: KnownIntegration(id_, name, active, token_hash, dict(mapping or {}))
            for id_, identifier, name, active, token_hash, mapping in rows
        }

    async def refresh(self) -> None:
        """Reload every integration from the store (off the event loop)."""
        async with self._lock:
            self._by_identifier = await asyncio.to_thread(self._load)
            self._misses.clear()

    async def get(self, identifier: str) -> KnownIntegration | None:
        """The integration with this identifier, or None."""
        found = self._by_identifier.get(identifier)
        if found is not None:
            return found
        now = time.monotonic()
        missed_at = self._misses.get(identifier)
        if missed_at is not None and now - missed_at < MISS_MEMORY_SECONDS:
            return None
        loaded = await asyncio.to_thread(self._load, identifier)
        found = loaded.get(identifier)
        if found is not None:
            self._by_identifier[identifier] = found
            return found
        if len(self._misses) >= MAX_REMEMBERED_MISSES:
            self._misses.clear()
        self._misses[identifier] = now
        return None

    async def keep_fresh(self) -> None:
        """Refresh every second until cancelled; store errors are retried, not raised."""
        while True:
            await asyncio.sleep(REFRESH_SECONDS)
            try:
                await self.refresh()
            except Exception as exc:  # the store may be locked or away: keep the old view
                log.warning("could not refresh integrations: %s", exc)
