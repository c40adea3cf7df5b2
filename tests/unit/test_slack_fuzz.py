"""Any input to the Slack slash-command endpoint, correctly signed, over real HTTP.

The signature check is the endpoint's front door (tested in test_slack_commands.py); these
properties are about what lies behind it: random command texts built from the commands'
own words, numbers of any size, quick actions and links, random form fields, and bytes that
are no form at all. Every answer is Slack JSON (200) or a JSON error (400); a command's
text never makes it fail ("The command failed" is kept for a failing store), and the
listener keeps serving.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st

from console.store import open_store
from tests.conftest import FUZZ, RunningListener, set_settings

SECRET = "fuzz-signing-secret"
TRIGGER = "/incident"
FAILED = "The command failed"

WORDS = [
    "issue", "new", "create", "show", "close", "search", "comment", "alert", "alerts",
    "list", "ack", "acknowledge", "resolve", "zoom", "help", "#1", "1", "2", "0", "-1",
    "#", "99999999999999999999", "9" * 5000, "١٢", "/close", "/reopen", "/assign @ann",
    "/label ~db", "/severity high", "/severity nonsense", "/zoom https://zoom.us/j/123",
    "https://zoom.us/j/123456789", "https://evil.example/zoom.us", "<!channel>", "*bold*",
    "`code`", "&amp;", "\n", "\n\n", "\t", "  ",
]  # fmt: skip
texts = st.one_of(
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.text(max_size=300),
    st.lists(st.one_of(st.sampled_from(WORDS), st.text(max_size=12)), max_size=6).map(" ".join),
)
fields = st.fixed_dictionaries(
    {"command": st.one_of(st.just(TRIGGER), st.text(max_size=12)), "text": texts},
    optional={
        "user_name": st.text(max_size=30),
        "team_id": st.text(max_size=10),
        "response_url": st.sampled_from(
            ["", "https://example.invalid/answer", "not a url", "file:///etc/passwd"]
        ),
        "extra": st.text(max_size=30),
    },
)
raw_bodies = st.one_of(
    st.binary(max_size=300),
    st.sampled_from(
        [
            b"\xff\xfe\x00",
            b"command=%2Fincident&text=%ff%fe",
            b"command=%2Fincident&text=" + b"x" * 100_000,
            b"&" * 5000,
            b"command=/incident&text=issue+show+1&text=issue+close+1",
        ]
    ),
)


@pytest.fixture(scope="module")
def slack(tmp_path_factory) -> Iterator[RunningListener]:
    path: Path = tmp_path_factory.mktemp("slack-fuzz") / "store.db"
    store = open_store(f"sqlite:///{path}")
    set_settings(store, slack_signing_secret=SECRET, slack_trigger=TRIGGER)
    listener = RunningListener(store)
    yield listener
    listener.stop()
    store.dispose()


def post_signed(listener: RunningListener, body: bytes) -> httpx.Response:
    stamp = int(time.time())
    signature = hmac.new(SECRET.encode(), f"v0:{stamp}:".encode() + body, hashlib.sha256)
    return httpx.post(
        f"{listener.base}/slack/commands",
        content=body,
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Slack-Request-Timestamp": str(stamp),
            "X-Slack-Signature": "v0=" + signature.hexdigest(),
        },
        timeout=15,
    )


def check(response: httpx.Response) -> None:
    assert response.status_code in (200, 400), (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    answer = response.json()
    if response.status_code == 400:
        assert isinstance(answer["error"], str) and answer["error"]
        return
    assert answer["response_type"] in ("ephemeral", "in_channel")
    assert isinstance(answer["text"], str)
    assert FAILED not in answer["text"], answer["text"][:300]


@FUZZ
@given(form=fields)
def test_any_signed_command(slack, form):
    check(post_signed(slack, urlencode(form).encode()))


@FUZZ
@given(body=raw_bodies)
def test_any_signed_bytes(slack, body):
    check(post_signed(slack, body))


@pytest.mark.parametrize(
    "text",
    [
        "issue show 99999999999999999999",
        "issue close #" + "9" * 5000,
        "issue comment 18446744073709551616 hello",
        "alert ack 99999999999999999999",
        "zoom 99999999999999999999 https://zoom.us/j/123456789",
    ],
)
def test_numbers_beyond_any_incident_are_refused_plainly(slack, text):
    response = post_signed(slack, urlencode({"command": TRIGGER, "text": text}).encode())
    check(response)
    assert "no incident" in response.json()["text"] or "no alert" in response.json()["text"]


def test_listener_still_serves_after_the_fuzz(slack):
    assert httpx.get(f"{slack.base}/healthz", timeout=10).status_code == 200
    response = post_signed(slack, urlencode({"command": TRIGGER, "text": "help"}).encode())
    assert response.status_code == 200
    assert TRIGGER in response.json()["text"]
