"""What the Slack slash commands do, and the Slack JSON they answer with.

The text after the trigger word is matched against GitLab's command shapes (`issue new`,
`show`, `close`, `search`, `comment`, plus `alert list/ack/resolve`, `zoom` and `help`);
anything else answers with help. Reads run on a reader session in a worker thread; writes
go through the one writer (`session_future`) so they commit like every other change. A
refused action (no such incident, an invalid Zoom link) answers with its message, only to
the person who asked.

Replies use Slack's `mrkdwn`, so text from the store is escaped (`&`, `<`, `>`) and links
back into the console are `incident-console://incident/<n>`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from console.admin import AdminError
from console.engine import lifecycle, quick_actions, zoom
from console.engine.writer import GroupCommitWriter
from console.incident_queries import IncidentFilter, incident_detail, incident_rows
from console.models import MAX_STORED_INTEGER, AlertStatus
from console.queries import list_alerts
from console.store import Store

T = TypeVar("T")
LINK_PREFIX = "incident-console://incident/"
SEARCH_RESULTS = 5
ALERTS_LISTED = 10
SECTION_LIMIT = 3000  # characters Slack shows in one section block
DESCRIPTION_EXCERPT = 600

_FLAGS = re.IGNORECASE | re.DOTALL
_ISSUE_NEW = re.compile(r"issue\s+(?:new|create)\s+(?P<title>[^\n]*)\n*(?P<description>.*)", _FLAGS)
_ISSUE_SHOW = re.compile(r"issue\s+show\s+#?(?P<iid>\d+)\s*", _FLAGS)
_ISSUE_CLOSE = re.compile(r"issue\s+close\s+#?(?P<iid>\d+)\s*", _FLAGS)
_ISSUE_SEARCH = re.compile(r"issue\s+search\s+(?P<query>.+)", _FLAGS)
_ISSUE_COMMENT = re.compile(r"issue\s+comment\s+#?(?P<iid>\d+)(?P<body>(?:\s.*)?)", _FLAGS)
_ALERT_LIST = re.compile(r"alerts?\s+list\s*", _FLAGS)
_ALERT_SET = re.compile(r"alerts?\s+(?P<verb>ack|acknowledge|resolve)\s+#?(?P<iid>\d+)\s*", _FLAGS)
_ZOOM = re.compile(r"zoom\s+#?(?P<iid>\d+)\s+(?P<url>\S+)\s*", _FLAGS)


def escape(text: str) -> str:
    """Text safe inside Slack mrkdwn (Slack asks for exactly these three escapes)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def incident_link(iid: int, label: str | None = None) -> str:
    """A mrkdwn link that opens incident `iid` in the console."""
    return f"<{LINK_PREFIX}{iid}|{escape(label) if label else f'#{iid}'}>"


def url_link(url: str, label: str) -> str:
    """A mrkdwn link to an outside URL (`|` would end the URL part, so it is encoded)."""
    return f"<{escape(url).replace('|', '%7C')}|{escape(label)}>"


def reply(text: str, *, in_channel: bool = False, extra: list[str] | None = None) -> dict[str, Any]:
    """Slack's response shape: `response_type`, plain `text`, and section `blocks`."""
    sections = [text, *(extra or [])]
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": part[:SECTION_LIMIT]}}
        for part in sections
        if part.strip()
    ]
    return {
        "response_type": "in_channel" if in_channel else "ephemeral",
        "text": "\n".join(sections)[:SECTION_LIMIT],
        "blocks": blocks,
    }


def help_reply(trigger: str) -> dict[str, Any]:
    """The list of commands (also the answer to anything not understood)."""
    t = escape(trigger)
    lines = [
        f"`{t} issue new <title>` (description on the following lines)",
        f"`{t} issue show <n>`, `{t} issue close <n>`",
        f"`{t} issue search <text>` (up to {SEARCH_RESULTS} results)",
        f"`{t} issue comment <n>` then the comment on the following lines (quick actions run)",
        f"`{t} alert list`, `{t} alert ack <n>`, `{t} alert resolve <n>`",
        f"`{t} zoom <n> <meeting link>`",
        f"`{t} help`",
    ]
    return reply("*Incident Console commands*", extra=["\n".join(lines)])


@dataclass(frozen=True, slots=True)
class Caller:
    """Who sent the command, for system notes."""

    user_name: str

    @property
    def author(self) -> str:
        return f"{self.user_name} (Slack)" if self.user_name else "Slack"


_LONGEST_NUMBER = len(str(MAX_STORED_INTEGER))


def _number(digits: str, kind: str) -> int:
    """The number someone typed after a command; one longer than any stored number names
    nothing (and Python refuses to read integers of thousands of digits)."""
    if len(digits) > _LONGEST_NUMBER:
        raise AdminError(f"no {kind} #{digits[:_LONGEST_NUMBER]}…")
    return int(digits)


class CommandRunner:
    """Runs one command's text against the store; every method returns a Slack reply."""

    def __init__(self, store: Store, writer: GroupCommitWriter) -> None:
        self.store = store
        self.writer = writer

    async def read(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` on a reader session in a worker thread (never on the event loop)."""

        def run() -> T:
            with self.store.read() as session:
                return fn(session)

        return await asyncio.to_thread(run)

    async def write(self, fn: Callable[[Session], T]) -> T:
        """`fn(session)` through the one writer, committed before this returns."""
        return await asyncio.wrap_future(self.writer.session_future(fn))

    async def run(self, text: str, trigger: str, caller: Caller) -> dict[str, Any]:
        """The reply to `text` (what followed the trigger word)."""
        text = text.strip()
        try:
            if match := _ISSUE_NEW.fullmatch(text):
                return await self.issue_new(match["title"], match["description"], caller)
            if match := _ISSUE_SHOW.fullmatch(text):
                return await self.issue_show(_number(match["iid"], "incident"))
            if match := _ISSUE_CLOSE.fullmatch(text):
                return await self.issue_close(_number(match["iid"], "incident"), caller)
            if match := _ISSUE_SEARCH.fullmatch(text):
                return await self.issue_search(match["query"].strip())
            if match := _ISSUE_COMMENT.fullmatch(text):
                iid = _number(match["iid"], "incident")
                return await self.issue_comment(iid, match["body"], caller)
            if _ALERT_LIST.fullmatch(text):
                return await self.alert_list()
            if match := _ALERT_SET.fullmatch(text):
                resolve = match["verb"].lower() == "resolve"
                return await self.alert_set(_number(match["iid"], "alert"), resolve, caller)
            if match := _ZOOM.fullmatch(text):
                return await self.zoom(_number(match["iid"], "incident"), match["url"], caller)
        except AdminError as exc:
            return reply(f":warning: {escape(str(exc))}")
        return help_reply(trigger)

    async def issue_new(self, title: str, description: str, caller: Caller) -> dict[str, Any]:
        done = await self.write(
            lambda s: quick_actions.create_incident_from_text(
                s, title, description.strip("\n"), caller.author
            )
        )
        said = f"{escape(caller.user_name or 'Someone')} opened {incident_link(done.iid)}: "
        said += f"*{escape(' '.join(title.split()))}*"
        return reply(said, in_channel=True, extra=[escape(" ".join(done.messages))])

    async def issue_show(self, iid: int) -> dict[str, Any]:
        shown = await self.read(lambda s: incident_detail(s, iid))
        facts = [
            f"*Status:* {shown.status}",
            f"*Severity:* {shown.severity}",
            f"*Labels:* {escape(', '.join(shown.labels)) or '-'}",
            f"*Assignees:* {escape(', '.join(shown.assignees)) or '-'}",
            f"*Alerts:* {', '.join(f'#{a.iid}' for a in shown.alerts) or '-'}",
        ]
        if shown.zoom_url:
            facts.append(f"*Zoom:* {url_link(shown.zoom_url, 'Join Zoom')}")
        excerpt = shown.description.strip()
        if len(excerpt) > DESCRIPTION_EXCERPT:
            excerpt = excerpt[:DESCRIPTION_EXCERPT].rstrip() + "…"
        title = incident_link(shown.iid, f"{shown.title} · #{shown.iid}")
        return reply(f"*{title}*", in_channel=True, extra=["\n".join(facts), escape(excerpt)])

    async def issue_close(self, iid: int, caller: Caller) -> dict[str, Any]:
        closed = await self.write(lambda s: lifecycle.close_incident(s, iid, caller.author).title)
        return reply(f"Closed {incident_link(iid)}: *{escape(closed)}*", in_channel=True)

    async def issue_search(self, query: str) -> dict[str, Any]:
        rows = await self.read(
            lambda s: incident_rows(s, IncidentFilter("all", None, query), 0, SEARCH_RESULTS)
        )
        if not rows:
            return reply(f"No incident matches *{escape(query)}*.")
        lines = [f"• {incident_link(r.iid)} {escape(r.title)} ({r.status})" for r in rows]
        return reply(f"Incidents matching *{escape(query)}*:", extra=["\n".join(lines)])

    async def issue_comment(self, iid: int, body: str, caller: Caller) -> dict[str, Any]:
        done = await self.write(
            lambda s: quick_actions.apply_to_note(s, iid, body.strip("\n "), caller.author)
        )
        said = [f"Comment added to {incident_link(iid)}."] if done.note_id else []
        said += [escape(message) for message in done.messages]
        return reply(" ".join(said), in_channel=True)

    async def alert_list(self) -> dict[str, Any]:
        alerts = await self.read(lambda s: list_alerts(s, "open", ALERTS_LISTED + 1))
        if not alerts:
            return reply("No open alerts. :tada:")
        lines = []
        for a in alerts[:ALERTS_LISTED]:
            linked = f" → {incident_link(a.incident_iid)}" if a.incident_iid else ""
            lines.append(f"• alert #{a.iid} [{a.severity}, {a.status}] {escape(a.title)}{linked}")
        more = " (newest first; more are open)" if len(alerts) > ALERTS_LISTED else ""
        return reply(f"*Open alerts*{more}:", extra=["\n".join(lines)])

    async def alert_set(self, iid: int, resolve: bool, caller: Caller) -> dict[str, Any]:
        status = AlertStatus.RESOLVED.value if resolve else AlertStatus.ACKNOWLEDGED.value
        title = await self.write(
            lambda s: lifecycle.set_alert_status(s, iid, status, caller.author).title
        )
        return reply(f"Alert #{iid} is {status}: *{escape(title)}*", in_channel=True)

    async def zoom(self, iid: int, url: str, caller: Caller) -> dict[str, Any]:
        link = await self.write(
            lambda s: zoom.set_zoom_link(s, iid, url, caller.author).zoom_url or ""
        )
        return reply(
            f"Zoom meeting added to {incident_link(iid)}: {url_link(link, 'Join Zoom')}",
            in_channel=True,
        )
