"""Settings as the form and the command line change them: checks, and all-or-nothing saves."""

from __future__ import annotations

import pytest

from console.admin import AdminError
from console.admin import settings as settings_admin
from console.admin import templates as templates_admin


def load(store) -> dict:
    with store.read() as session:
        return settings_admin.load_settings(session)


@pytest.mark.parametrize(
    ("key", "text", "fragment"),
    [
        ("listen_port", "80000", "at most 65535"),
        ("listen_port", "http", "whole number"),
        ("listen_host", "local host", "IP address"),
        ("email_recipients", "ops@example.com, nobody", "not an email address: nobody"),
        ("smtp_from", "alerts", "not an email address"),
        ("smtp_security", "ssl", "none, starttls, tls"),
        ("slack_webhook_url", "hooks.slack.com/x", "http:// or https://"),
        ("grafana_url", "ftp://grafana", "http:// or https://"),
        ("prometheus_urls", "http://p1:9090, p2", "not an http:// or https:// URL: p2"),
        ("zoom_personal_url", "https://evil.example.com/j/1", "zoom.us"),
        ("notify_severities", "critical, urgent", "urgent"),
    ],
)
def test_check_value_says_why(key, text, fragment):
    with pytest.raises(AdminError) as refused:
        settings_admin.check_value(key, text)
    assert fragment in str(refused.value)


@pytest.mark.parametrize(
    ("key", "text", "value"),
    [
        ("listen_host", "0.0.0.0", "0.0.0.0"),
        ("listen_host", "::1", "::1"),
        ("listen_host", "console.example.internal", "console.example.internal"),
        ("email_recipients", "a@example.com,b@example.org", ["a@example.com", "b@example.org"]),
        ("prometheus_urls", "", []),
        (
            "zoom_personal_url",
            "https://us02web.zoom.us/j/123456",
            "https://us02web.zoom.us/j/123456",
        ),
        ("zoom_personal_url", "", ""),
    ],
)
def test_check_value_accepts(key, text, value):
    assert settings_admin.check_value(key, text) == value


def test_unknown_key_is_refused():
    with pytest.raises(AdminError, match="unknown setting"):
        settings_admin.check_value("colour", "blue")


def test_apply_settings_saves_all_or_nothing(store):
    with pytest.raises(settings_admin.SettingsRefused) as refused, store.write() as session:
        settings_admin.apply_settings(
            session, {"smtp_host": "mail.example.com", "smtp_port": "0", "theme": "neon"}
        )
    assert set(refused.value.errors) == {"smtp_port", "theme"}
    assert load(store)["smtp_host"] == ""
    with store.write() as session:
        settings_admin.apply_settings(session, {"smtp_host": "mail.example.com", "theme": "dark"})
    assert (load(store)["smtp_host"], load(store)["theme"]) == ("mail.example.com", "dark")


def test_apply_settings_checks_settings_together(store):
    with pytest.raises(settings_admin.SettingsRefused) as refused, store.write() as session:
        settings_admin.apply_settings(session, {"create_incident": "true", "send_email": "true"})
    assert set(refused.value.errors) == {"issue_template", "email_recipients", "smtp_host"}
    assert load(store)["create_incident"] is False
    with store.write() as session:
        templates_admin.save(session, "Incident", "## Summary")
        settings_admin.apply_settings(
            session,
            {
                "create_incident": "true",
                "issue_template": "Incident",
                "send_email": "true",
                "email_recipients": "oncall@example.com",
                "smtp_host": "mail.example.com",
            },
        )
    assert load(store)["issue_template"] == "Incident"


def test_a_missing_template_is_refused_by_name(store):
    with pytest.raises(settings_admin.SettingsRefused) as refused, store.write() as session:
        settings_admin.apply_settings(session, {"issue_template": "Gone"})
    assert "does not exist" in refused.value.errors["issue_template"]
