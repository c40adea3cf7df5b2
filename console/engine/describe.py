"""How an incident made from an alert is titled and described (GitLab's presenter rules).

An alert from Prometheus (its payload has a `generatorURL` graph link and the alert a query)
gets a chart of its query from 30 minutes before to 30 minutes after its start: a Prometheus
graph link on a line of its own, which the Markdown renderer turns into a live chart.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlsplit

from console.ingest.normalized import NormalizedAlert

DEFAULT_ALERT_TITLE = "New: Alert"
PART_SEPARATOR = "\n\n---\n\n"
# Two trailing spaces make each line a hard break in Markdown, as GitLab writes them.
BREAK = "  "
CHART_MARGIN = timedelta(minutes=30)  # before and after the alert's start, as GitLab drew it


def incident_title(alert_title: str, incident_iid: int) -> str:
    """The alert's title; the default `New: Alert` becomes `New: Incident <n>`."""
    if alert_title.strip() == DEFAULT_ALERT_TITLE:
        return f"New: Incident {incident_iid}"
    return alert_title


MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_time(moment: datetime) -> str:
    """`29 November 2026, 10:15AM (UTC)` (English whatever the locale, as GitLab writes it;
    built by hand: three strftime calls cost more than the rest of an alert's summary)."""
    utc = moment.astimezone(UTC)
    hour = utc.hour % 12 or 12
    noon = "AM" if utc.hour < 12 else "PM"
    return f"{utc.day} {MONTHS[utc.month - 1]} {utc.year}, {hour}:{utc.minute:02d}{noon} (UTC)"


def _escape_inline(value: str) -> str:
    """Keep one-line values on one line in the summary."""
    return " ".join(value.split())


def metrics_link(alert: NormalizedAlert) -> str:
    """A Prometheus graph link of the alert's query around its start, or "" when unknown."""
    generator = alert.payload.get("generatorURL") if alert.payload else None
    if not alert.full_query or not isinstance(generator, str):
        return ""
    try:
        parts = urlsplit(generator.strip())
    except ValueError:
        return ""
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return ""
    if not parts.path.endswith("/graph"):
        return ""
    end = (alert.started_at + CHART_MARGIN).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    return f"{base}?g0.expr={quote(alert.full_query, safe='')}&g0.range_input=1h&g0.end_input={end}"


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
    chart = metrics_link(alert)
    if chart:
        lines += ["", "#### Metrics", "", chart]
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
