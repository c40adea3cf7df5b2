"""Reading and writing settings in the store, validated against `console.config`."""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import config
from console.admin import AdminError
from console.models import IssueTemplate, SettingRow, utcnow


def load_settings(session: Session) -> dict[str, Any]:
    """Every setting: stored values over the declared defaults."""
    values = config.defaults()
    for key, text in session.execute(select(SettingRow.key, SettingRow.value)):
        if key not in config.OPTIONS_BY_KEY:
            continue
        try:
            values[key] = config.coerce_stored(key, orjson.loads(text))
        except orjson.JSONDecodeError:
            continue
    return values


def set_setting(session: Session, key: str, text: str) -> Any:
    """Parse, validate and store one setting; returns the typed value stored."""
    try:
        value = config.parse_value(key, text)
    except config.SettingError as exc:
        raise AdminError(str(exc)) from None
    if key == "issue_template" and value:
        exists = session.scalar(select(IssueTemplate.id).where(IssueTemplate.name == value))
        if exists is None:
            names = ", ".join(
                session.scalars(select(IssueTemplate.name).order_by(IssueTemplate.name))
            )
            hint = f"; templates: {names}" if names else "; add one with 'templates add'"
            raise AdminError(f"issue template {value!r} does not exist{hint}")
    row = session.get(SettingRow, key)
    encoded = orjson.dumps(value).decode()
    if row is None:
        session.add(SettingRow(key=key, value=encoded, updated_at=utcnow()))
    else:
        row.value = encoded
        row.updated_at = utcnow()
    return value


def public_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as shown to people: secrets are replaced by whether they are set."""
    shown: dict[str, Any] = {}
    for key, value in values.items():
        opt = config.OPTIONS_BY_KEY.get(key)
        shown[key] = ("********" if value else "") if opt is not None and opt.secret else value
    return shown
