"""Slack notifications: the message about new incidents and recoveries, and posting it.

Messages go to an incoming webhook (setting `slack_webhook_url`) as `text` plus `blocks`.
Several notices that are waiting together go out as one message (up to `MAX_PER_MESSAGE`),
because Slack accepts about one message per second per channel and an alert storm would
otherwise be refused with 429.

`post` raises `SlackDeliveryError`, which says whether trying again can help: 429 (with
Slack's `Retry-After`), 5xx and network errors can; other 4xx answers (`invalid_payload`,
`no_service`, a revoked webhook) cannot. Retrying is the dispatcher's job
(`console.services.notify`).
"""

from __future__ import annotations

import email.utils
import time
from typing import Any

import httpx

from console.services.notice import Notice
from console.text import one_line

MAX_PER_MESSAGE = 10
SECTION_LIMIT = 3000
EXCERPT = 300
TIMEOUT_SECONDS = 10.0


class SlackDeliveryError(Exception):
    """A webhook post that failed; `transient` says whether a retry may succeed."""

    def __init__(self, message: str, *, transient: bool, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.transient = transient
        self.retry_after = retry_after


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def describe(notice: Notice) -> str:
    """One notice as a mrkdwn paragraph."""
    link = (
        f"<{notice.incident_link}|#{notice.incident_iid}>"
        if notice.incident_link is not None
        else ""
    )
    if notice.kind == "triggered":
        head = f":rotating_light: *New incident {link}: {_escape(one_line(notice.title))}*"
    else:
        state = "closed" if notice.incident_closed else "still open"
        head = (
            f":white_check_mark: *Recovered: {_escape(one_line(notice.title))}*"
            f" (alert #{notice.alert_iid}; incident {link} {state})"
        )
    facts = [f"Severity: {notice.severity}"]
    facts += [f"Environment: {_escape(notice.environment)}"] if notice.environment else []
    facts += [f"Service: {_escape(notice.service)}"] if notice.service else []
    lines = [head, " · ".join(facts)]
    if notice.full_query:
        lines.append(f"Query: `{_escape(one_line(notice.full_query))[:EXCERPT]}`")
    if notice.kind == "triggered" and notice.description.strip():
        excerpt = one_line(notice.description)
        if len(excerpt) > EXCERPT:
            excerpt = excerpt[:EXCERPT].rstrip() + "…"
        lines.append(f"> {_escape(excerpt)}")
    return "\n".join(lines)[:SECTION_LIMIT]


def headline(notice: Notice) -> str:
    """The notice as plain text (Slack's notification preview)."""
    title = one_line(notice.title)
    if notice.kind == "triggered":
        return f"New incident #{notice.incident_iid}: {title} ({notice.severity})"
    return f"Recovered: {title} (incident #{notice.incident_iid})"


def message(notices: list[Notice]) -> dict[str, Any]:
    """The webhook body for up to `MAX_PER_MESSAGE` notices."""
    shown = notices[:MAX_PER_MESSAGE]
    text = headline(shown[0]) if len(shown) == 1 else f"{len(shown)} incident updates"
    blocks: list[dict[str, Any]] = []
    for notice in shown:
        if blocks:
            blocks.append({"type": "divider"})
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": describe(notice)}})
    return {"text": text, "blocks": blocks}


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """`Retry-After` as seconds: a number, or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, moment.timestamp() - (time.time() if now is None else now))


async def post(client: httpx.AsyncClient, url: str, body: dict[str, Any]) -> None:
    """Post one message to an incoming webhook; SlackDeliveryError when it is not taken."""
    try:
        answer = await client.post(url, json=body, timeout=TIMEOUT_SECONDS)
    except httpx.HTTPError as exc:
        said = str(exc).replace(url, "<webhook URL>")  # the URL is a secret
        raise SlackDeliveryError(
            f"Slack webhook unreachable: {type(exc).__name__}: {said}", transient=True
        ) from exc
    if answer.status_code < 300:
        return
    reason = one_line(answer.text)[:200] or answer.reason_phrase
    if answer.status_code == 429:
        raise SlackDeliveryError(
            f"Slack is rate limiting the webhook (429 {reason})",
            transient=True,
            retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
        )
    raise SlackDeliveryError(
        f"Slack webhook answered {answer.status_code}: {reason}",
        transient=answer.status_code >= 500,
        retry_after=retry_after_seconds(answer.headers.get("Retry-After")),
    )
