"""Slack slash commands over real HTTP: v0 signatures, the trigger word, every command."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from urllib.parse import urlencode

import pytest

from console.listener import slack as slack_listener
from console.models import Alert, Incident, Note, utcnow
from tests.conftest import FORMATS, set_settings
from tests.receivers import Receiver

SECRET = "8f742231b10e8888abcd99yyyzzz85a5"  # the shared test vector's secret
NOW = 1_700_000_000


def vector() -> tuple[dict[str, str], bytes]:
    """Headers and raw body of the shared test vector, read from its document."""
    text = (FORMATS / "slack-slash-command.md").read_text()
    lines = [line.strip() for line in text.splitlines()]
    body = next(line for line in lines if line.startswith("token="))
    signature = next(line for line in lines if line.startswith("X-Slack-Signature:"))
    stamp = next(line for line in lines if line.startswith("X-Slack-Request-Timestamp:"))
    headers = {
        "X-Slack-Signature": signature.split(":", 1)[1].strip(),
        "X-Slack-Request-Timestamp": stamp.split(":", 1)[1].strip(),
        "Content-Type": "application/x-www-form-urlencoded",
    }
    return headers, body.encode()


def sign(body: bytes, timestamp: int, secret: str = SECRET) -> str:
    base = f"v0:{timestamp}:".encode() + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


@pytest.fixture
def slack(store, listener, client, monkeypatch):
    set_settings(store, slack_signing_secret=SECRET, slack_trigger="/incident")
    monkeypatch.setattr(slack_listener, "current_time", lambda: NOW + 30.0)
    url = listener.base + "/slack/commands"

    def post(text: str, *, command: str = "/incident", timestamp: int = NOW, **extra: str):
        fields = {
            "team_id": "T0001",
            "user_id": "U1",
            "user_name": "steve",
            "command": command,
            "text": text,
            "response_url": extra.pop("response_url", "https://hooks.slack.com/commands/1/2"),
        }
        body = urlencode(fields).encode()
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(timestamp),
            "X-Slack-Signature": extra.pop("signature", sign(body, timestamp)),
        }
        return client.post(url, content=body, headers=headers)

    post.url = url  # type: ignore[attr-defined]
    return post


def add_incident(store, iid: int, title: str = "Checkout down", **extra) -> None:
    with store.write() as session:
        session.add(Incident(iid=iid, title=title, labels=["incident"], assignees=[], **extra))


def add_alert(store, iid: int, incident_iid: int | None = None, status: str = "triggered") -> None:
    with store.write() as session:
        session.add(
            Alert(
                iid=iid,
                title=f"alert {iid}",
                status=status,
                severity="high",
                started_at=utcnow(),
                incident_iid=incident_iid,
                fingerprint=f"f{iid}",
            )
        )


def read(store, model, iid):
    with store.read() as session:
        return session.get(model, iid)


def said(response) -> str:
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["response_type"] in ("ephemeral", "in_channel")
    assert body["blocks"] and all(b["type"] == "section" for b in body["blocks"])
    return body["text"] + "\n" + "\n".join(b["text"]["text"] for b in body["blocks"])


# ---- signatures --------------------------------------------------------------------------------


def test_shared_test_vector_is_accepted(slack, store, client):
    add_incident(store, 42, "Checkout latency")
    headers, body = vector()
    started = time.perf_counter()
    response = client.post(slack.url, content=body, headers=headers)
    assert time.perf_counter() - started < 3.0
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["response_type"] == "in_channel"
    assert "Checkout latency · #42" in answer["text"]
    assert "<incident-console://incident/42|" in answer["text"]


def test_wrong_signature_is_401(slack, client):
    headers, body = vector()
    headers["X-Slack-Signature"] = "v0=" + "0" * 64
    response = client.post(slack.url, content=body, headers=headers)
    assert response.status_code == 401
    assert "signature" in response.json()["error"]


def test_tampered_body_is_401(slack, client):
    headers, body = vector()
    response = client.post(slack.url, content=body.replace(b"42", b"43"), headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("drop", ["X-Slack-Signature", "X-Slack-Request-Timestamp"])
def test_missing_signature_headers_are_401(slack, client, drop):
    headers, body = vector()
    del headers[drop]
    response = client.post(slack.url, content=body, headers=headers)
    assert response.status_code == 401
    assert "missing" in response.json()["error"]


@pytest.mark.parametrize("offset", [-301, 301, -86_400])
def test_stale_or_future_timestamp_is_401(slack, offset):
    # "now" is pinned at NOW + 30, so the timestamp is more than 5 minutes away.
    response = slack("help", timestamp=NOW + 30 + offset)
    assert response.status_code == 401
    assert "5 minutes" in response.json()["error"]


def test_vector_is_refused_at_the_real_time(slack, client, monkeypatch):
    monkeypatch.setattr(slack_listener, "current_time", time.time)
    headers, body = vector()
    assert client.post(slack.url, content=body, headers=headers).status_code == 401


def test_without_signing_secret_commands_are_off(store, listener, client):
    headers, body = vector()
    response = client.post(listener.base + "/slack/commands", content=body, headers=headers)
    assert response.status_code == 403
    assert "slack_signing_secret" in response.json()["error"]


def test_other_slash_command_is_explained(slack):
    text = said(slack("help", command="/other"))
    assert "/incident" in text and "/other" in text


# ---- commands ----------------------------------------------------------------------------------


def test_help_and_unknown_commands_answer_with_help(slack):
    for text in ("help", "", "deploy prod to staging", "issue frobnicate 3"):
        response = slack(text)
        assert response.json()["response_type"] == "ephemeral"
        assert "/incident issue new" in said(response)


def test_issue_new_with_description_and_quick_actions(slack, store):
    response = slack("issue new Checkout is down\nCustomers see 500s.\n/label ~checkout")
    text = said(response)
    assert response.json()["response_type"] == "in_channel"
    assert "<incident-console://incident/1|#1>" in text
    created = read(store, Incident, 1)
    assert created.title == "Checkout is down"
    assert created.description == "Customers see 500s."
    assert created.labels == ["incident", "checkout"]
    assert created.author == "steve (Slack)"


def test_issue_show_unknown_incident_is_ephemeral(slack):
    response = slack("issue show #99")
    assert response.json()["response_type"] == "ephemeral"
    assert "no incident #99" in said(response)


def test_issue_show_escapes_and_shows_zoom(slack, store):
    add_incident(store, 3, "a <b> & c", zoom_url="https://zoom.us/j/1")
    text = said(slack("issue show 3"))
    assert "a &lt;b&gt; &amp; c" in text
    assert "<https://zoom.us/j/1|Join Zoom>" in text


def test_issue_close_resolves_its_alerts(slack, store):
    add_incident(store, 5)
    add_alert(store, 1, 5)
    text = said(slack("issue close 5"))
    assert "Closed <incident-console://incident/5|#5>" in text
    assert read(store, Incident, 5).status == "closed"
    assert read(store, Alert, 1).status == "resolved"
    assert "already closed" in said(slack("issue close 5"))


def test_issue_search_returns_five(slack, store):
    for iid in range(1, 8):
        add_incident(store, iid, f"Disk full on db-{iid}")
    add_incident(store, 8, "Something else")
    response = slack("issue search disk full")
    text = said(response)
    assert response.json()["response_type"] == "ephemeral"
    assert text.count("incident-console://incident/") == 2 * 5  # text, and again in blocks
    assert "Something else" not in text
    assert "No incident matches" in said(slack("issue search nothing-like-this"))


def test_issue_comment_runs_quick_actions(slack, store):
    add_incident(store, 2)
    text = said(slack("issue comment 2\nLooking into it\n/label ~db\n/assign @alice"))
    assert "Comment added" in text and "~db" in text
    shown = read(store, Incident, 2)
    assert shown.labels == ["incident", "db"] and shown.assignees == ["alice"]
    with store.read() as session:
        comments = [n.body for n in session.query(Note).filter_by(incident_iid=2, system=False)]
    assert comments == ["Looking into it"]


def test_issue_comment_refused_changes_nothing(slack, store):
    add_incident(store, 2)
    response = slack("issue comment #2 closing\n/close\n/zoom http://zoom.us/j/1")
    assert response.json()["response_type"] == "ephemeral"
    assert "https://" in said(response)
    assert read(store, Incident, 2).status == "open"
    with store.read() as session:
        assert session.query(Note).filter_by(incident_iid=2).count() == 0


def test_alert_list_ack_and_resolve(slack, store):
    add_incident(store, 1)
    add_alert(store, 1, 1)
    add_alert(store, 2)
    add_alert(store, 3, status="resolved")
    text = said(slack("alert list"))
    assert "alert #1" in text and "alert #2" in text and "alert #3" not in text
    assert "<incident-console://incident/1|#1>" in text
    assert "acknowledged" in said(slack("alert ack 2"))
    assert read(store, Alert, 2).status == "acknowledged"
    assert "resolved" in said(slack("alert resolve #2"))
    assert read(store, Alert, 2).status == "resolved"
    assert "no alert #9" in said(slack("alert ack 9"))


def test_zoom_command(slack, store):
    add_incident(store, 4)
    text = said(slack("zoom 4 https://zoom.us/j/123"))
    assert "Join Zoom" in text
    assert read(store, Incident, 4).zoom_url == "https://zoom.us/j/123"
    refused = slack("zoom 4 https://zoom.us.evil.com/j/1")
    assert refused.json()["response_type"] == "ephemeral"
    assert "Failed to add a Zoom meeting" in said(refused)
    assert read(store, Incident, 4).zoom_url == "https://zoom.us/j/123"


def test_slow_work_answers_at_once_then_posts_to_response_url(slack, store, monkeypatch):
    monkeypatch.setattr(slack_listener, "ANSWER_WITHIN_SECONDS", 0.0)
    add_incident(store, 7, "Queue backlog")
    with Receiver() as receiver:
        # The stand-in for Slack listens here, not on hooks.slack.com.
        monkeypatch.setattr(slack_listener, "response_url_allowed", lambda u: u == receiver.url)
        response = slack("issue show 7", response_url=receiver.url)
        assert "Working on it" in said(response)
        [late] = receiver.wait_for(1)
    answer = json.loads(late)
    assert answer["response_type"] == "in_channel"
    assert "Queue backlog · #7" in answer["text"]


def test_a_late_answer_goes_nowhere_but_slack(slack, store, monkeypatch):
    monkeypatch.setattr(slack_listener, "ANSWER_WITHIN_SECONDS", 0.0)
    add_incident(store, 7, "Queue backlog")
    with Receiver() as receiver:
        response = slack("issue show 7", response_url=receiver.url)
        assert "Working on it" in said(response)
        with pytest.raises(AssertionError):
            receiver.wait_for(1, timeout=1.0)  # never posted: not Slack's address
        assert receiver.bodies == []


@pytest.mark.parametrize(
    ("url", "allowed"),
    [
        ("https://hooks.slack.com/commands/T1/2/abc", True),
        ("https://HOOKS.slack.com/commands/T1/2/abc", True),
        ("https://hooks.slack-gov.com/commands/T1/2/abc", True),
        ("http://hooks.slack.com/commands/T1/2/abc", False),
        ("https://hooks.slack.com:8443/commands/T1/2/abc", False),
        ("https://user:pw@hooks.slack.com/commands/T1/2/abc", False),
        ("https://hooks.slack.com.evil.example/commands", False),
        ("https://evil.example/?hooks.slack.com", False),
        ("https://127.0.0.1/commands", False),
        ("https://hooks.slack.com:99999/x", False),
        ("", False),
        ("not a url", False),
    ],
)
def test_only_slack_response_urls_are_allowed(url, allowed):
    assert slack_listener.response_url_allowed(url) is allowed
