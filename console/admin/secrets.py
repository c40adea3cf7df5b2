"""Where secret settings live: the OS keyring when one works, else the store.

Secret settings are those declared with `secret=True` in `console.config.OPTIONS` (Slack
signing secret and webhook URL, SMTP password, Grafana token). `console.admin.settings`
routes them here, so every reader still gets `settings["smtp_password"]` as plain text.

With a keyring, the settings row holds only a marker: `{"keyring": <entry>, "stamp": <s>}`.
The entry name is chosen once per store and key (two stores on one machine never share an
entry); the stamp changes at every change, so each process caches a secret until the stamp
it sees in the store moves, and a change made by the command line reaches a running window
without asking the keyring every second. Without a keyring (the fail and null backends, as
on a server with no desktop session), the row holds the value itself: in plain text in the
store, readable by whoever can read the store file or database.

The trade-off: a keyring belongs to one user on one machine. Consoles that share a
PostgreSQL store, and a headless `serve` on another machine (or under another user), cannot
read what one desk put in its keyring: they would see the marker and resolve an empty
secret. So the automatic choice keeps secrets in the store whenever the store is not a local
SQLite file, and `INCIDENT_CONSOLE_SECRETS=store` forces the store everywhere (set it for a
`serve` that shares a SQLite file with a desktop whose keyring it cannot open);
`INCIDENT_CONSOLE_SECRETS=keyring` forces the keyring even for a shared store.

Secret values are never logged, and never part of an error message.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)

SERVICE = "incident-console"
MODE_ENV = "INCIDENT_CONSOLE_SECRETS"
MODES = ("auto", "keyring", "store")
MARKER_KEY = "keyring"


class SecretError(Exception):
    """A secret could not be kept (the keyring refused); the message never holds the value."""


@dataclass(frozen=True, slots=True)
class Placement:
    """Where secrets go for one store: `backend` is None when they go to the store."""

    backend: Any | None
    description: str

    @property
    def in_keyring(self) -> bool:
        """Whether secrets go to the OS keyring."""
        return self.backend is not None


def working_keyring() -> Any | None:
    """The keyring backend if it can keep secrets; None for keyring's fail and null ones."""
    try:
        import keyring
        from keyring.backends import chainer, fail, null
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    try:
        backend = keyring.get_keyring()
    except Exception as exc:  # a broken backend plugin must not stop the console
        log.warning("no usable keyring: %s", type(exc).__name__)
        return None
    if isinstance(backend, fail.Keyring | null.Keyring):
        return None
    if isinstance(backend, chainer.ChainerBackend) and not backend.backends:
        return None
    return backend


def mode() -> str:
    """`INCIDENT_CONSOLE_SECRETS`: auto (the default), keyring or store."""
    chosen = os.environ.get(MODE_ENV, "").strip().lower() or "auto"
    return chosen if chosen in MODES else "auto"


def placement(store_is_local: bool) -> Placement:
    """Where a secret set now goes, for a store that is (or is not) a local SQLite file."""
    chosen = mode()
    if chosen == "store":
        return Placement(None, f"in the store (settings table, plain text; {MODE_ENV}=store)")
    backend = working_keyring()
    if backend is None:
        return Placement(
            None, "in the store (settings table, plain text): this machine has no OS keyring"
        )
    if chosen == "auto" and not store_is_local:
        return Placement(
            None,
            "in the store (settings table, plain text): it is shared, and a keyring is "
            f"per machine (set {MODE_ENV}=keyring to use this machine's keyring)",
        )
    name = getattr(backend, "name", type(backend).__name__)
    return Placement(backend, f"in the OS keyring ({name})")


def is_marker(stored: object) -> bool:
    """Whether a stored value points into a keyring."""
    return isinstance(stored, dict) and isinstance(stored.get(MARKER_KEY), str)


# (entry, stamp) -> value: a secret is asked of the keyring again only when its stamp moves.
_cache: dict[tuple[str, str], str] = {}
_warned: set[tuple[str, str]] = set()
_lock = threading.Lock()


def resolve(key: str, stored: object) -> object:
    """The secret a stored value stands for: the value itself, or what the keyring holds."""
    if not is_marker(stored):
        return stored
    assert isinstance(stored, dict)
    entry, stamp = str(stored[MARKER_KEY]), str(stored.get("stamp", ""))
    with _lock:
        if (entry, stamp) in _cache:
            return _cache[(entry, stamp)]
    value = _read_keyring(key, entry, stamp)
    if value is not None:
        with _lock:
            _cache[(entry, stamp)] = value
    return value or ""


def _read_keyring(key: str, entry: str, stamp: str) -> str | None:
    backend = working_keyring() if mode() != "store" else None
    value: str | None = None
    problem = "this machine has no usable OS keyring"
    if backend is not None:
        try:
            value = backend.get_password(SERVICE, entry)
            problem = "this machine's keyring has no entry for it"
        except Exception as exc:
            problem = f"the keyring failed ({type(exc).__name__})"
    if value is None and (entry, stamp) not in _warned:
        _warned.add((entry, stamp))
        log.warning(
            "setting %s is kept in an OS keyring but %s; set it again on this machine "
            "or keep secrets in the store (%s=store)",
            key,
            problem,
            MODE_ENV,
        )
    return value


def encode(key: str, value: str, previous: object, where: Placement) -> object:
    """Keep `value` for `key` where `where` says; returns what the settings row stores.

    In the keyring, the entry already named by `previous` (a marker) is reused; a new
    stamp tells other processes to read it again. An empty value clears the entry.
    """
    if not where.in_keyring:
        if is_marker(previous):
            forget(previous)
        return value
    if not value:
        if is_marker(previous):
            forget(previous)
        return ""
    entry = (
        str(previous[MARKER_KEY])
        if isinstance(previous, dict) and is_marker(previous)
        else f"{key}/{secrets.token_hex(8)}"
    )
    backend: Any = where.backend
    try:
        backend.set_password(SERVICE, entry, value)
    except Exception as exc:
        raise SecretError(
            f"the OS keyring refused to keep {key} ({type(exc).__name__}); "
            f"set {MODE_ENV}=store to keep secrets in the store instead"
        ) from None
    stamp = secrets.token_hex(8)
    with _lock:
        _cache[(entry, stamp)] = value
    return {MARKER_KEY: entry, "stamp": stamp}


def forget(stored: object) -> None:
    """Remove the keyring entry a marker points to (best effort: it may be gone already)."""
    if not is_marker(stored):
        return
    assert isinstance(stored, dict)
    backend = working_keyring()
    if backend is None:
        return
    try:
        backend.delete_password(SERVICE, str(stored[MARKER_KEY]))
    except Exception as exc:  # already gone, or the keyring is locked: nothing to undo
        log.debug("could not remove a keyring entry: %s", type(exc).__name__)


def restore(key: str, stored: object, value: str) -> None:
    """Put `value` back into the entry `stored` points to (undoing a change that was
    rolled back); a plain stored value needs nothing."""
    if not is_marker(stored) or not value:
        return
    assert isinstance(stored, dict)
    backend = working_keyring()
    if backend is None:
        return
    try:
        backend.set_password(SERVICE, str(stored[MARKER_KEY]), value)
    except Exception as exc:
        log.warning("could not restore %s in the keyring: %s", key, type(exc).__name__)


def clear_cache() -> None:
    """Forget cached secrets (tests, and a process that switches keyrings)."""
    with _lock:
        _cache.clear()
        _warned.clear()
