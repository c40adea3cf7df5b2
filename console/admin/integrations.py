"""Integrations: create, list, activate, regenerate tokens and set custom field mappings."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.ingest.mapping import MAPPABLE_FIELDS, parse_path
from console.models import INTEGRATION_TYPES, Integration

MAX_NAME = 255


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def token_matches(token: str, token_hash: str) -> bool:
    """Whether `token` is the one whose hash is stored, compared in constant time."""
    return hmac.compare_digest(hash_token(token), token_hash)


def slugify(name: str) -> str:
    """GitLab's slug: lower case, runs of other characters as one dash; `http-endpoint` if empty."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return slug[:63].strip("-") or "http-endpoint"


@dataclass(frozen=True, slots=True)
class NewIntegration:
    """An integration just created or given a new token: the only time the token is known."""

    integration: Integration
    token: str


def check_name(name: str) -> str:
    """The name as stored (trimmed), or AdminError saying why it is refused."""
    cleaned = name.strip()
    if not cleaned:
        raise AdminError("an integration needs a name")
    if len(cleaned) > MAX_NAME:
        raise AdminError(f"an integration name is at most {MAX_NAME} characters")
    return cleaned


def find(session: Session, name: str) -> Integration:
    """The integration called `name` (or with that identifier), or AdminError."""
    found = session.scalar(select(Integration).where(Integration.name == name))
    if found is None:
        found = session.scalar(select(Integration).where(Integration.identifier == name))
    if found is None:
        raise AdminError(f"no integration named {name!r}")
    return found


def create(session: Session, name: str, kind: str = "http") -> NewIntegration:
    """Add an integration with a fresh identifier and token."""
    cleaned = check_name(name)
    if kind not in INTEGRATION_TYPES:
        raise AdminError(f"integration type must be one of {', '.join(INTEGRATION_TYPES)}")
    if session.scalar(select(Integration.id).where(Integration.name == cleaned)) is not None:
        raise AdminError(f"an integration named {cleaned!r} already exists")
    token = secrets.token_hex(16)
    integration = Integration(
        name=cleaned,
        slug=slugify(cleaned),
        identifier=secrets.token_hex(8),
        type=kind,
        active=True,
        token_hash=hash_token(token),
        mapping={},
    )
    session.add(integration)
    session.flush()
    return NewIntegration(integration, token)


def list_all(session: Session) -> list[Integration]:
    """Every integration, oldest first."""
    return list(session.scalars(select(Integration).order_by(Integration.id)))


def regenerate_token(session: Session, name: str) -> NewIntegration:
    """Replace an integration's token; the old one stops working at once."""
    integration = find(session, name)
    token = secrets.token_hex(16)
    integration.token_hash = hash_token(token)
    return NewIntegration(integration, token)


def set_active(session: Session, name: str, active: bool) -> Integration:
    """Activate or deactivate an integration (inactive ones answer 403)."""
    integration = find(session, name)
    integration.active = active
    return integration


def rename(session: Session, name: str, new_name: str) -> Integration:
    """Rename an integration; its URL keeps working (alerts are routed by identifier)."""
    integration = find(session, name)
    cleaned = check_name(new_name)
    clash = session.scalar(select(Integration.id).where(Integration.name == cleaned))
    if clash is not None and clash != integration.id:
        raise AdminError(f"an integration named {cleaned!r} already exists")
    integration.name = cleaned
    return integration


def delete(session: Session, name: str) -> None:
    """Delete an integration; its alerts stay, without it."""
    session.delete(find(session, name))


def parse_mapping_items(items: list[str]) -> dict[str, str]:
    """`field=path` items from the command line as a mapping, each field and path checked."""
    mapping: dict[str, str] = {}
    for item in items:
        field, sep, path = item.partition("=")
        field, path = field.strip(), path.strip()
        if not sep or not field:
            raise AdminError(f"expected FIELD=PATH, got {item!r}")
        if field not in MAPPABLE_FIELDS:
            known = ", ".join(MAPPABLE_FIELDS)
            raise AdminError(f"unknown field {field!r}; mappable fields: {known}")
        if path:
            try:
                parse_path(path)
            except ValueError as exc:
                raise AdminError(f"bad path for {field}: {exc}") from None
        mapping[field] = path
    return mapping


def set_mapping(session: Session, name: str, items: list[str]) -> Integration:
    """Merge `field=path` items into an integration's mapping; an empty path removes a field."""
    integration = find(session, name)
    updates = parse_mapping_items(items)
    mapping = dict(integration.mapping or {})
    for field, path in updates.items():
        if path:
            mapping[field] = path
        else:
            mapping.pop(field, None)
    integration.mapping = mapping
    return integration


def replace_mapping(session: Session, name: str, mapping: dict[str, str]) -> Integration:
    """Make `mapping` (field → path) the integration's whole mapping; empty paths are left out.

    Fields and paths are checked as `set-mapping` checks them; a refusal changes nothing.
    """
    integration = find(session, name)
    checked = parse_mapping_items([f"{field}={path}" for field, path in mapping.items()])
    integration.mapping = {field: path for field, path in checked.items() if path}
    return integration
