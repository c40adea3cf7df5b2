"""How an incident made from an alert is titled and described (GitLab's presenter rules)."""

from __future__ import annotations

from datetime import UTC, datetime

from console.ingest.normalized import NormalizedAlert

DEFAULT_ALERT_TITLE = "New: Alert"
PART_SEPARATOR = "\n\n---\n\n"
# Two trailing spaces make each line a hard break in Markdown, as GitLab writes them.
BREAK = "  "


def incident_title(alert_title: str, incident_iid: int) -> str:
    """The alert's title; the default `New: Alert` becomes `New: Incident <n>`."""
    if alert_title.strip() == DEFAULT_ALERT_TITLE:
        return f"New: Incident {incident_iid}"
    return alert_title


def format_time(moment: datetime) -> str:
    """`29 November 2026, 10:15AM (UTC)`."""
    utc = moment.astimezone(UTC)
    hour = utc.strftime("%I").lstrip("0") or "12"
    return f"{utc.day} {utc.strftime('%B %Y')}, {hour}:{utc.strftime('%M%p')} (UTC)"


def _escape_inline(value: str) -> str:
    """Keep one-line values on one line in the summary."""
    return " ".join(value.split())


def summary(alert: NormalizedAlert) -> str:
    """The `#### Summary` block, then `#### Alert Details` with the payload's other keys."""
    lines = ["#### Summary", ""]
    facts: list[tuple[str, str]] = [
        ("Start time", format_time(alert.started_at)),
        ("Severity", alert.severity),
    ]
    if alert.full_query:
        facts.append(("full_query", f"`{alert.full_query}`"))
    facts += [
        ("Service", alert.service),
        ("Monitoring tool", alert.monitoring_tool),
        ("Hosts", alert.hosts),
        ("Environment", alert.environment),
        ("Runbook", alert.runbook),
        ("Description", alert.description),
    ]
    lines += [f"**{name}:** {_escape_inline(value)}{BREAK}" for name, value in facts if value]
    if alert.details:
        lines += ["", "#### Alert Details", ""]
        lines += [
            f"**{key}:** {_escape_inline(value)}{BREAK}" for key, value in alert.details.items()
        ]
    return "\n".join(lines)


def incident_description(alert: NormalizedAlert, template: str) -> str:
    """Summary and details, the alert's own incident Markdown, then the template, ruled apart."""
    parts = [summary(alert)]
    if alert.incident_markdown.strip():
        parts.append(alert.incident_markdown.strip())
    if template.strip():
        parts.append(template.strip())
    return PART_SEPARATOR.join(parts)
