"""Typed settings: one declaration per option (type, default, description), and file paths.

Settings live in the store so that every process using it (the window, `serve`, the command
line, other consoles on a shared store) sees the same values; this module only declares them
and turns text into typed values. Paths come from platformdirs.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import platformdirs

APP_NAME = "incident-console"
DB_ENV = "INCIDENT_CONSOLE_DB"
DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8842
MAX_PORT = 65535


def number_argument(noun: str, maximum: int) -> Callable[[str], int]:
    """An argparse type: a whole number from 0 to `maximum`, refused in one line naming
    `noun` ("a port number") otherwise."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text[:40]!r} is not {noun}") from None
        if not 0 <= value <= maximum:
            raise argparse.ArgumentTypeError(f"must be from 0 to {maximum}, not {text[:40]}")
        return value

    return parse


port_number = number_argument("a port number", MAX_PORT)
"""--port: 0 (any free port) to 65535."""


Kind = Literal["bool", "str", "int", "list", "choice"]
# The names of console.models.Severity; repeated so that config stays free of the models.
SEVERITY_NAMES = ("critical", "high", "medium", "low", "info", "unknown")
THEMES = ("dark", "light", "system")
SMTP_SECURITY = ("none", "starttls", "tls")


class SettingError(ValueError):
    """A setting key or value that is refused, with a message for the user."""


@dataclass(frozen=True, slots=True)
class Option:
    """The declaration of one setting."""

    key: str
    kind: Kind
    default: Any
    description: str
    choices: tuple[str, ...] = ()
    secret: bool = False
    minimum: int | None = None
    maximum: int | None = None


OPTIONS: tuple[Option, ...] = (
    Option("incident_management", "bool", True, "Enable incident management"),
    Option("create_incident", "bool", False, "Create an incident for each new alert"),
    Option("issue_template", "str", "", "Issue template appended to incidents made from alerts"),
    Option("auto_close_incident", "bool", True, "Close the associated incident on recovery"),
    Option("send_email", "bool", False, "Send a separate email notification for new alerts"),
    Option("email_recipients", "list", [], "Recipients of alert emails (comma-separated)"),
    Option("listen_host", "str", DEFAULT_HOST, "Address the alert listener binds to"),
    Option(
        "listen_port",
        "int",
        DEFAULT_PORT,
        "Port of the alert listener",
        minimum=0,
        maximum=MAX_PORT,
    ),
    Option(
        "notify_severities",
        "list",
        list(SEVERITY_NAMES),
        "Severities that raise a desktop notification",
        choices=SEVERITY_NAMES,
    ),
    Option(
        "sound_severities",
        "list",
        ["critical"],
        "Severities whose alerts sound until acknowledged",
        choices=SEVERITY_NAMES,
    ),
    Option("theme", "choice", "system", "Colour theme of the window", choices=THEMES),
    # Slack: slash commands on the listener, and an incoming webhook for notifications.
    Option("slack_signing_secret", "str", "", "Slack app signing secret", secret=True),
    Option("slack_webhook_url", "str", "", "Slack incoming webhook URL", secret=True),
    Option("slack_trigger", "str", "/incident", "Slash command that drives the console"),
    # Email (SMTP).
    Option("smtp_host", "str", "", "SMTP server"),
    Option("smtp_port", "int", 587, "SMTP port", minimum=1, maximum=65535),
    Option("smtp_security", "choice", "starttls", "SMTP security", choices=SMTP_SECURITY),
    Option("smtp_user", "str", "", "SMTP user name"),
    Option("smtp_password", "str", "", "SMTP password", secret=True),
    Option("smtp_from", "str", "", "Sender address of alert emails"),
    # Zoom and metrics data sources.
    Option("zoom_personal_url", "str", "", "Personal Zoom meeting link for 'Start Zoom'"),
    Option("prometheus_urls", "list", [], "Prometheus base URLs charts may query"),
    Option("grafana_url", "str", "", "Grafana base URL charts may query"),
    Option("grafana_token", "str", "", "Grafana API token (Bearer)", secret=True),
)

OPTIONS_BY_KEY: dict[str, Option] = {option.key: option for option in OPTIONS}
TRUE_WORDS = frozenset({"true", "yes", "on", "1"})
FALSE_WORDS = frozenset({"false", "no", "off", "0"})


def option(key: str) -> Option:
    """The declaration of `key`, or a SettingError naming the known keys."""
    try:
        return OPTIONS_BY_KEY[key]
    except KeyError:
        known = ", ".join(sorted(OPTIONS_BY_KEY))
        raise SettingError(f"unknown setting {key!r}; known settings: {known}") from None


def parse_value(key: str, text: str) -> Any:
    """Turn the text given for `key` (on the command line or in a form) into its typed value."""
    opt = option(key)
    raw = text.strip()
    if opt.kind == "bool":
        word = raw.lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise SettingError(f"{key} must be true or false, not {text!r}")
    if opt.kind == "int":
        try:
            number = int(raw)
        except ValueError:
            raise SettingError(f"{key} must be a whole number, not {text!r}") from None
        if opt.minimum is not None and number < opt.minimum:
            raise SettingError(f"{key} must be at least {opt.minimum}")
        if opt.maximum is not None and number > opt.maximum:
            raise SettingError(f"{key} must be at most {opt.maximum}")
        return number
    if opt.kind == "list":
        items = [item.strip() for item in raw.split(",") if item.strip()]
        if opt.choices:
            items = [item.lower() for item in items]
            wrong = [item for item in items if item not in opt.choices]
            if wrong:
                raise SettingError(
                    f"{key} items must be among {', '.join(opt.choices)}, not {', '.join(wrong)}"
                )
        return items
    if opt.kind == "choice" and raw not in opt.choices:
        raise SettingError(f"{key} must be one of {', '.join(opt.choices)}, not {text!r}")
    return raw


def coerce_stored(key: str, value: Any) -> Any:
    """A stored value checked against the declaration; the default when it no longer fits."""
    opt = OPTIONS_BY_KEY[key]
    expected: type | tuple[type, ...] = {
        "bool": bool,
        "int": int,
        "list": list,
        "str": str,
        "choice": str,
    }[opt.kind]
    if opt.kind == "int" and isinstance(value, bool):
        return opt.default
    return value if isinstance(value, expected) else opt.default


def defaults() -> dict[str, Any]:
    """Every setting at its default value."""
    return {opt.key: (list(opt.default) if opt.kind == "list" else opt.default) for opt in OPTIONS}


def data_dir() -> Path:
    """The user's data folder for the console (created on demand)."""
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_db_url() -> str:
    """The SQLite store in the user's data folder."""
    return f"sqlite:///{data_dir() / 'incident-console.db'}"


def resolve_db_url(explicit: str | None) -> str:
    """The store URL: `--db`, else `INCIDENT_CONSOLE_DB`, else the default SQLite file."""
    if explicit:
        return explicit
    from_env = os.environ.get(DB_ENV, "").strip()
    return from_env or default_db_url()
