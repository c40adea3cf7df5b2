"""Console dashboards and console-managed alert rules, as the command line and forms use them.

A dashboard is a name and groups of panels (title, query, y label, unit); its panels are
what console metrics links (`incident-console://metrics?dashboard=…`) embed. An alert rule is
a query compared with a threshold for a duration; the runtime evaluates the rules that are
not paused (`console.charts.rules`).
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.charts.embeds import parse_duration
from console.config import SEVERITY_NAMES
from console.models import AlertRule, Dashboard, storable

OPERATORS = (">", ">=", "<", "<=", "==", "!=")
PANEL_KEYS = ("title", "query", "y_label", "unit")


def _clean_groups(groups: Any) -> list[dict[str, Any]]:
    if not isinstance(groups, list) or not groups:
        raise AdminError("a dashboard needs a list of groups, each with panels")
    cleaned: list[dict[str, Any]] = []
    for group in groups:
        if not isinstance(group, dict) or not str(group.get("group") or "").strip():
            raise AdminError("every group needs a name ('group')")
        panels = []
        for panel in group.get("panels") or []:
            if not isinstance(panel, dict):
                raise AdminError("panels are objects with title, query, y_label and unit")
            values = {key: str(panel.get(key) or "").strip() for key in PANEL_KEYS}
            if not values["title"] or not values["query"]:
                raise AdminError("every panel needs a title and a query")
            panels.append(values)
        if not panels:
            raise AdminError(f"group {group['group']!r} has no panels")
        cleaned.append({"group": str(group["group"]).strip(), "panels": panels})
    return cleaned


def save_dashboard(session: Session, name: str, groups: Any) -> Dashboard:
    """Create or replace dashboard `name`."""
    if not name.strip():
        raise AdminError("a dashboard needs a name")
    cleaned = _clean_groups(groups)
    found = session.scalar(select(Dashboard).where(Dashboard.name == name.strip()))
    if found is None:
        found = Dashboard(name=name.strip(), groups=cleaned)
        session.add(found)
    else:
        found.groups = cleaned
    session.flush()
    return found


def list_dashboards(session: Session) -> list[Dashboard]:
    """Every dashboard by name."""
    return list(session.scalars(select(Dashboard).order_by(Dashboard.name)))


def panel_query(session: Session, name: str, group: str, title: str) -> str | None:
    """The query of a dashboard's panel, or None when there is no such panel."""
    found = session.scalar(select(Dashboard).where(Dashboard.name == name))
    for entry in found.groups if found else []:
        if entry.get("group") == group:
            for panel in entry.get("panels") or []:
                if panel.get("title") == title:
                    return str(panel.get("query") or "") or None
    return None


def panel_link(dashboard: Dashboard, group: str, title: str) -> str:
    """The embed link of a panel ("copy link")."""
    for entry in dashboard.groups:
        for panel in entry.get("panels") or []:
            if entry.get("group") == group and panel.get("title") == title:
                params = {
                    "dashboard": dashboard.name,
                    "group": group,
                    "title": title,
                    "y_label": panel.get("y_label") or title,
                }
                return "incident-console://metrics?" + urlencode(params)
    raise AdminError(f"dashboard {dashboard.name!r} has no panel {group!r} / {title!r}")


def add_rule(
    session: Session,
    query: str,
    operator: str,
    threshold: float,
    *,
    duration: str = "0s",
    severity: str = "critical",
) -> AlertRule:
    """A new rule; AdminError for an unknown operator or severity, a threshold that is not
    a finite number, or an unreadable duration."""
    if not query.strip():
        raise AdminError("an alert rule needs a query")
    if operator not in OPERATORS:
        raise AdminError(f"operator must be one of {' '.join(OPERATORS)}")
    if severity not in SEVERITY_NAMES:
        raise AdminError(f"severity must be one of {', '.join(SEVERITY_NAMES)}")
    if not math.isfinite(threshold):
        # NaN compares false with everything and infinity with every value: neither is a
        # threshold (and NaN cannot be stored).
        raise AdminError(f"threshold must be a finite number, not {threshold}")
    seconds = 0
    if duration.strip() not in ("", "0", "0s"):
        parsed = parse_duration(duration.strip())
        if parsed is None:
            raise AdminError(f"duration must look like 30s, 5m or 1h, not {duration!r}")
        seconds = int(parsed.total_seconds())
    rule = AlertRule(
        query=query.strip(),
        operator=operator,
        threshold=float(threshold),
        for_seconds=seconds,
        severity=severity,
        paused=False,
    )
    session.add(rule)
    session.flush()
    return rule


def get_rule(session: Session, rule_id: int) -> AlertRule:
    """Rule `rule_id`, or AdminError."""
    found = session.get(AlertRule, rule_id) if storable(rule_id) else None
    if found is None:
        raise AdminError(f"no alert rule {rule_id}")
    return found


def list_rules(session: Session) -> list[AlertRule]:
    """Every rule, oldest first."""
    return list(session.scalars(select(AlertRule).order_by(AlertRule.id)))


def set_paused(session: Session, rule_id: int, paused: bool) -> AlertRule:
    """Pause or resume a rule (a paused rule's alert resolves)."""
    rule = get_rule(session, rule_id)
    rule.paused = paused
    return rule


def delete_rule(session: Session, rule_id: int) -> None:
    """Delete a rule (its alert resolves)."""
    session.delete(get_rule(session, rule_id))
