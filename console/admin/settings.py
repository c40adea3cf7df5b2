"""Reading and writing settings in the store, validated against `console.config`.

One key at a time (`set_setting`, what `settings set` runs) or several in one transaction
(`apply_settings`, what the settings form runs: all of them, or none). Values are checked
by `config.parse_value` and then by the rules below that need more than a type (addresses,
URLs, the Zoom link rule); `check_value` runs both without touching the store, so a form
can show the reason as the admin types. Secret settings go through `console.admin.secrets`
(the OS keyring, or the store), and `load_settings` returns them resolved.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import orjson
from sqlalchemy import select
from sqlalchemy.orm import Session

from console import config
from console.admin import AdminError
from console.admin import secrets as secret_store
from console.models import IssueTemplate, SettingRow, utcnow

_HOST_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9-]{1,63})*\.?")
_ADDRESS = re.compile(r"[^@\s,<>;\"]+@[^@\s,<>;\"]+\.[^@\s,<>;\"]+")


class SettingsRefused(AdminError):
    """Several settings refused at once: `errors` maps each key to its reason."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors


def _host_problem(value: str) -> str | None:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        if not _HOST_NAME.fullmatch(value):
            return "an IP address (127.0.0.1, 0.0.0.0, ::1) or a host name is needed"
    return None


def _url_problem(value: str) -> str | None:
    # The value is not repeated: it may be a secret (a Slack webhook URL is one).
    try:
        parts = urlsplit(value)
        _ = parts.port
    except ValueError:
        return "not a valid URL"
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "not an http:// or https:// URL"
    return None


def _urls_problem(values: list[str]) -> str | None:
    wrong = [value for value in values if _url_problem(value)]
    return f"not an http:// or https:// URL: {', '.join(wrong)}" if wrong else None


def _addresses_problem(values: list[str]) -> str | None:
    wrong = [value for value in values if not _ADDRESS.fullmatch(value)]
    return f"not an email address: {', '.join(wrong)}" if wrong else None


def _zoom_problem(value: str) -> str | None:
    from console.engine.zoom import zoom_link_problem  # the one Zoom rule (C10)

    return zoom_link_problem(value)


def _no_spaces(value: str) -> str | None:
    return "spaces are not allowed here" if any(c.isspace() for c in value) else None


# Rules beyond the declared type; each returns why a (non-empty) value is refused, or None.
_RULES: dict[str, Callable[[Any], str | None]] = {
    "listen_host": _host_problem,
    "email_recipients": _addresses_problem,
    "smtp_from": lambda value: _addresses_problem([value]),
    "smtp_host": _no_spaces,
    "smtp_user": _no_spaces,
    "slack_trigger": _no_spaces,
    "slack_webhook_url": _url_problem,
    "grafana_url": _url_problem,
    "prometheus_urls": _urls_problem,
    "zoom_personal_url": _zoom_problem,
}


def check_value(key: str, text: str) -> Any:
    """The typed value of `text` for `key`, or AdminError saying why it is refused.

    Needs no store: forms call it on every keystroke. A secret's value never appears in
    the message.
    """
    try:
        value = config.parse_value(key, text)
    except config.SettingError as exc:
        opt = config.OPTIONS_BY_KEY.get(key)
        hidden = opt is not None and opt.secret
        raise AdminError(f"{key} is not a valid value" if hidden else str(exc)) from None
    rule = _RULES.get(key)
    problem = rule(value) if rule is not None and value not in ("", []) else None
    if problem is not None:
        raise AdminError(f"{key}: {problem}")
    return value


def load_settings(session: Session) -> dict[str, Any]:
    """Every setting: stored values over the declared defaults, secrets resolved."""
    values = config.defaults()
    for key, text in session.execute(select(SettingRow.key, SettingRow.value)):
        if key not in config.OPTIONS_BY_KEY:
            continue
        try:
            stored = orjson.loads(text)
        except orjson.JSONDecodeError:
            continue
        if config.OPTIONS_BY_KEY[key].secret:
            stored = secret_store.resolve(key, stored)
        values[key] = config.coerce_stored(key, stored)
    return values


def secret_placement(session: Session) -> secret_store.Placement:
    """Where secrets set through `session` are kept (see `console.admin.secrets`)."""
    return secret_store.placement(session.get_bind().dialect.name == "sqlite")


def _check_template(session: Session, name: str) -> None:
    exists = session.scalar(select(IssueTemplate.id).where(IssueTemplate.name == name))
    if exists is None:
        names = ", ".join(session.scalars(select(IssueTemplate.name).order_by(IssueTemplate.name)))
        hint = f"; templates: {names}" if names else "; add one with 'templates add'"
        raise AdminError(f"issue template {name!r} does not exist{hint}")


def _stored(row: SettingRow | None) -> object:
    if row is None:
        return None
    try:
        return orjson.loads(row.value)
    except orjson.JSONDecodeError:
        return None


def set_setting(session: Session, key: str, text: str) -> Any:
    """Parse, validate and store one setting; returns the typed value stored.

    A secret goes to the OS keyring when one is used (see `secret_placement`); then the
    row only points at it.
    """
    value = check_value(key, text)
    if key == "issue_template" and value:
        _check_template(session, value)
    row = session.get(SettingRow, key)
    stored: object = value
    if config.option(key).secret:
        try:
            stored = secret_store.encode(key, value, _stored(row), secret_placement(session))
        except secret_store.SecretError as exc:
            raise AdminError(str(exc)) from None
    encoded = orjson.dumps(stored).decode()
    if row is None:
        session.add(SettingRow(key=key, value=encoded, updated_at=utcnow()))
    else:
        row.value = encoded
        row.updated_at = utcnow()
    return value


def check_together(values: Mapping[str, Any]) -> dict[str, str]:
    """Rules between settings, as the form applies them: key → reason, empty when fine."""
    errors: dict[str, str] = {}
    if values.get("create_incident") and not values.get("issue_template"):
        errors["issue_template"] = "choose the issue template incidents are created with"
    if values.get("send_email"):
        if not values.get("email_recipients"):
            errors["email_recipients"] = "email notifications need at least one recipient"
        if not values.get("smtp_host"):
            errors["smtp_host"] = "email notifications need an SMTP server"
    return errors


def apply_settings(session: Session, changes: Mapping[str, str]) -> dict[str, Any]:
    """Set several settings in this transaction: every one of them, or none.

    Each value goes through `set_setting`; then the rules of `check_together` run on the
    result. Refusals raise SettingsRefused naming every refused key. Secrets are written
    last, after the store has accepted the rest; a keyring change is undone when anything
    after it fails, so a refused save leaves the keyring as it was too.
    """
    errors: dict[str, str] = {}
    for key, text in changes.items():
        try:
            check_value(key, text)
        except (AdminError, config.SettingError) as exc:
            errors[key] = str(exc)
    if errors:
        raise SettingsRefused(errors)
    plain = [key for key in changes if not config.option(key).secret]
    hidden = [key for key in changes if config.option(key).secret]
    applied: dict[str, Any] = {}
    for key in plain:
        try:
            applied[key] = set_setting(session, key, changes[key])
        except AdminError as exc:
            errors[key] = str(exc)
    if errors:
        raise SettingsRefused(errors)
    current = load_settings(session)  # secrets as they are before this change
    together = check_together(current | applied)
    if together:
        raise SettingsRefused(together)
    if not hidden:
        return applied
    session.flush()  # the store refuses now, before any keyring entry changes
    before = {key: _stored(session.get(SettingRow, key)) for key in hidden}
    done: dict[str, object] = {}
    try:
        for key in hidden:
            applied[key] = set_setting(session, key, changes[key])
            done[key] = _stored(session.get(SettingRow, key))
        session.flush()
    except Exception:
        for key, written in done.items():
            if secret_store.is_marker(before[key]):
                secret_store.restore(key, before[key], str(current.get(key) or ""))
            else:  # the entry was new: nothing points at it once this rolls back
                secret_store.forget(written)
        raise
    return applied


def public_settings(values: dict[str, Any]) -> dict[str, Any]:
    """Settings as shown to people: secrets are replaced by whether they are set."""
    shown: dict[str, Any] = {}
    for key, value in values.items():
        opt = config.OPTIONS_BY_KEY.get(key)
        shown[key] = ("********" if value else "") if opt is not None and opt.secret else value
    return shown
