"""Zoom links: GitLab's rule on the parsed URL, one meeting per incident, Start Zoom."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from console.admin import AdminError
from console.engine import zoom
from console.models import Incident, Note
from tests.conftest import set_settings


@pytest.mark.parametrize(
    "url",
    [
        "https://zoom.us/j/123456789",
        "https://zoom.us/j/123456789?pwd=abcDEF123",
        "https://us02web.zoom.us/j/81234567890?pwd=x",
        "https://my-company.zoom.us/s/98765",
        "https://zoom.us/my/alice.smith",
        "https://ZOOM.US/j/123",  # host names are case-insensitive
        "https://Company.Zoom.us/j/123",
        "  https://zoom.us/j/123  ",  # surrounding whitespace is ignored
        "https://zoom.us/j/1#success",
        "https://zoom.us/j/" + "1" * (255 - len("https://zoom.us/j/")),  # exactly 255
    ],
)
def test_valid_links(url):
    assert zoom.zoom_link_problem(url) is None
    assert zoom.is_zoom_link(url)


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://zoom.us/j/123", "https://"),
        ("ftp://zoom.us/j/123", "https://"),
        ("zoom.us/j/123", "https://"),
        ("https://zoom.us.evil.com/j/123", "zoom.us"),
        ("https://evilzoom.us/j/123", "zoom.us"),
        ("https://zoom.us@evil.com/j/123", "user name"),
        ("https://evil.com@zoom.us/j/123", "user name"),
        ("https://user:pass@zoom.us/j/123", "user name"),
        ("https://zoom.us:8443/j/123", "port"),
        ("https://zoom.us./j/123", "zoom.us"),
        ("https://a.b.zoom.us/j/123", "zoom.us"),  # GitLab allows one label under zoom.us
        ("https://zoom.us.evil.com/zoom.us/j/1", "zoom.us"),
        ("https://evil.com/?https://zoom.us/j/1", "zoom.us"),
        ("https://zoom.us/x/123", "meeting link"),
        ("https://zoom.us/j/", "meeting link"),
        ("https://zoom.us/", "meeting link"),
        ("https://zoom.us/jj/123", "meeting link"),
        ("https://zoom.us/J/123", "meeting link"),
        ("https://zoom.us/j/123 456", "spaces"),
        ("https://zoom.us/j/1\n23", "spaces"),
        ("https://zoom.us/j/1\t23", "spaces"),
        ("https://zoom.us\\.evil.com/j/1", "spaces or characters"),
        ("https://zoom.us/j/12é", "characters"),
        ("https://[zoom.us/j/1", "not a valid URL"),
        ("", "needed"),
        ("   ", "needed"),
        ("https://zoom.us/j/" + "1" * 300, "255"),
    ],
)
def test_refused_links(url, fragment):
    problem = zoom.zoom_link_problem(url)
    assert problem is not None
    assert fragment.lower() in problem.lower(), problem
    with pytest.raises(AdminError, match="Failed to add a Zoom meeting"):
        zoom.checked_zoom_link(url)


def add_incident(store, iid: int = 1) -> None:
    with store.write() as session:
        session.add(Incident(iid=iid, title="Disk full", labels=[], assignees=[]))


def notes(store, iid: int = 1) -> list[str]:
    with store.read() as session:
        return list(session.scalars(select(Note.body).where(Note.incident_iid == iid)))


def zoom_url(store, iid: int = 1) -> str | None:
    with store.read() as session:
        return session.get(Incident, iid).zoom_url


def test_one_active_meeting_replaced_and_removed(store):
    add_incident(store)
    with store.write() as session:
        zoom.set_zoom_link(session, 1, " https://zoom.us/j/111 ", "alice")
    assert zoom_url(store) == "https://zoom.us/j/111"
    with store.write() as session:
        zoom.set_zoom_link(session, 1, "https://zoom.us/j/111", "alice")  # same: no note
        zoom.set_zoom_link(session, 1, "https://zoom.us/j/222", "bob")
    assert zoom_url(store) == "https://zoom.us/j/222"
    with store.write() as session:
        zoom.remove_zoom_link(session, 1, "bob")
    assert zoom_url(store) is None
    assert notes(store) == [zoom.ADDED_NOTE, zoom.REPLACED_NOTE, zoom.REMOVED_NOTE]
    with pytest.raises(AdminError, match="no Zoom meeting"), store.write() as session:
        zoom.remove_zoom_link(session, 1, "bob")


def test_refused_link_changes_nothing(store):
    add_incident(store)
    with pytest.raises(AdminError), store.write() as session:
        zoom.set_zoom_link(session, 1, "https://zoom.us.evil.com/j/1", "eve")
    assert zoom_url(store) is None
    assert notes(store) == []


def test_start_zoom_attaches_the_personal_link(store):
    add_incident(store)
    with pytest.raises(AdminError, match="zoom_personal_url"), store.write() as session:
        zoom.start_zoom(session, 1, "alice")
    set_settings(store, zoom_personal_url="https://zoom.us/my/alice")
    with store.write() as session:
        zoom.start_zoom(session, 1, "alice")
    assert zoom_url(store) == "https://zoom.us/my/alice"
    assert notes(store) == [zoom.ADDED_NOTE]
