"""Zoom meetings on incidents: which links are accepted, and attaching or removing one.

The rule is GitLab's (`https://(?:[\\w-]+\\.)?zoom\\.us/(?:s|j|my)/\\S+`, at most 255 characters),
checked on the parsed URL rather than by pattern, so that `zoom.us.evil.com`, `evilzoom.us`
or `zoom.us@evil.com` cannot pass for a meeting: the scheme must be https, the host exactly
`zoom.us` or one label under it, with no user, password or port, and the path must start
with `/j/`, `/s/` or `/my/`. Host names are case-insensitive, so `ZOOM.US` is accepted.

An incident has at most one active meeting; a new link replaces it. Each change leaves a
system note in GitLab's words. Callers own the transaction.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin.settings import load_settings
from console.engine.lifecycle import get_incident
from console.models import Incident, Note, utcnow

MAX_LENGTH = 255
ZOOM_DOMAIN = "zoom.us"
MEETING_PREFIXES = ("/j/", "/s/", "/my/")
_SUBDOMAIN = re.compile(r"[A-Za-z0-9_-]+")
# Printable ASCII without space or backslash (browsers read a backslash as a slash).
_URL_CHARACTERS = re.compile(r"[!-\[\]-~]+")

ADDED_NOTE = "added a Zoom call to this issue"
REPLACED_NOTE = "replaced the Zoom call of this issue"
REMOVED_NOTE = "removed a Zoom call from this issue"


def zoom_link_problem(url: str) -> str | None:
    """Why `url` is not an acceptable Zoom meeting link, or None when it is.

    Whitespace around the link is ignored; whitespace inside it is refused.
    """
    link = url.strip()
    if not link:
        return "a Zoom link is needed"
    if len(link) > MAX_LENGTH:
        return f"the Zoom link is longer than {MAX_LENGTH} characters"
    if not _URL_CHARACTERS.fullmatch(link):
        return "the Zoom link contains spaces or characters a link may not hold"
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return "the Zoom link is not a valid URL"
    if parts.scheme != "https":
        return "Zoom links must start with https://"
    if parts.username is not None or parts.password is not None or port is not None:
        return "the Zoom link may not carry a user name, password or port"
    host = (parts.hostname or "").lower()
    if host != ZOOM_DOMAIN:
        subdomain, dot, domain = host.partition(".")
        if not (dot and domain == ZOOM_DOMAIN and _SUBDOMAIN.fullmatch(subdomain)):
            return f"the Zoom link must point to {ZOOM_DOMAIN} or one of its subdomains"
    if not any(
        parts.path.startswith(prefix) and len(parts.path) > len(prefix)
        for prefix in MEETING_PREFIXES
    ):
        return "the Zoom link must be a meeting link (/j/…, /s/… or /my/…)"
    return None


def is_zoom_link(url: str) -> bool:
    """Whether `url` is an acceptable Zoom meeting link."""
    return zoom_link_problem(url) is None


def checked_zoom_link(url: str) -> str:
    """`url` without surrounding whitespace, or AdminError saying why it is refused."""
    problem = zoom_link_problem(url)
    if problem is not None:
        raise AdminError(f"Failed to add a Zoom meeting: {problem}")
    return url.strip()


def _system_note(session: Session, incident: Incident, body: str, author: str) -> None:
    incident.updated_at = utcnow()
    session.add(
        Note(incident_iid=incident.iid, author=author, body=body, system=True, created_at=utcnow())
    )


def set_zoom_link(session: Session, iid: int, url: str, author: str) -> Incident:
    """Make `url` the incident's meeting (replacing any other); AdminError if refused."""
    link = checked_zoom_link(url)
    incident = get_incident(session, iid)
    if incident.zoom_url != link:
        note = ADDED_NOTE if not incident.zoom_url else REPLACED_NOTE
        incident.zoom_url = link
        _system_note(session, incident, note, author)
    session.flush()
    return incident


def remove_zoom_link(session: Session, iid: int, author: str) -> Incident:
    """Remove the incident's meeting; AdminError when it has none."""
    incident = get_incident(session, iid)
    if not incident.zoom_url:
        raise AdminError(f"incident #{iid} has no Zoom meeting to remove")
    incident.zoom_url = None
    _system_note(session, incident, REMOVED_NOTE, author)
    session.flush()
    return incident


def personal_meeting_link(session: Session) -> str:
    """The personal meeting link from settings, checked; AdminError when unset or invalid."""
    link = str(load_settings(session).get("zoom_personal_url") or "").strip()
    if not link:
        raise AdminError("no personal Zoom meeting link is set (setting zoom_personal_url)")
    problem = zoom_link_problem(link)
    if problem is not None:
        raise AdminError(f"the personal Zoom meeting link in settings is refused: {problem}")
    return link


def start_zoom(session: Session, iid: int, author: str) -> Incident:
    """ "Start Zoom": attach the personal meeting link from settings to incident `iid`."""
    return set_zoom_link(session, iid, personal_meeting_link(session), author)
