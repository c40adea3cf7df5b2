"""Deep links: which `incident-console://` links open something, and which are refused."""

from __future__ import annotations

import pytest

from console.deeplinks import DeepLink, incident_link, parse


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("incident-console://incident/5", DeepLink("incident", 5)),
        ("incident-console://incident/#12/", DeepLink("incident", 12)),
        ("INCIDENT-CONSOLE://Incident/7", DeepLink("incident", 7)),
        ("incident-console://alert/3", DeepLink("alert", 3)),
        ("  incident-console://incident/9  ", DeepLink("incident", 9)),
        ("incident-console://incident/", None),
        ("incident-console://incident/x", None),
        ("incident-console://incident/5/../../etc", None),
        ("incident-console://metrics?dashboard=x", None),
        ("https://example.com/incident/5", None),
        ("incident-console://incident/" + "9" * 13, None),
    ],
)
def test_parse(text, expected):
    assert parse(text) == expected


def test_incident_link_round_trips():
    assert parse(incident_link(42)) == DeepLink("incident", 42)
