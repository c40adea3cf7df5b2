"""Quick actions in the issue template of incidents that alerts open (a pure function).

The pipeline writes new incidents as plain rows inside its batch, so it cannot run the
session-based quick actions. Instead the template is parsed once (and cached: the same text
comes back batch after batch) into its text without quick-action lines and the changes they
make, which `TemplateActions.apply` folds into each new incident row, returning the system
notes to write with it. A template without quick actions costs one substring test.

Labels, assignees, severity and the Zoom meeting apply. `/close`, `/reopen` and `/ack` make
no sense for an incident that is being opened by the alert and are skipped with a system
note; so is an action with an invalid argument, because refusing an alert is not an option.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from console.admin import AdminError
from console.engine import incident_edits, quick_actions, zoom

NOT_IN_TEMPLATES = frozenset({"close", "reopen", "ack"})


@dataclass(frozen=True, slots=True)
class TemplateActions:
    """A template's text without quick-action lines, and what its actions do."""

    text: str
    steps: tuple[quick_actions.Step, ...]
    skipped: tuple[str, ...]  # system notes for actions that were not applied

    def apply(self, row: dict[str, Any]) -> list[str]:
        """Fold the actions into a new incident row; returns system note bodies, in order."""
        notes: list[str] = []
        steps = list(self.steps)
        labels = list(row.get("labels") or [])
        wanted = quick_actions.names_after(labels, steps, "label", "unlabel")
        if wanted != labels:
            row["labels"] = wanted
            notes.append(
                incident_edits.labels_note(
                    [n for n in wanted if n not in labels], [n for n in labels if n not in wanted]
                )
            )
        people = list(row.get("assignees") or [])
        assigned = quick_actions.names_after(people, steps, "assign", "unassign")
        if assigned != people:
            row["assignees"] = assigned
            notes.append(
                incident_edits.assignees_note(
                    [n for n in assigned if n not in people],
                    [n for n in people if n not in assigned],
                )
            )
        for step in steps:
            if step.name == "severity" and row.get("severity") != step.value:
                row["severity"] = step.value
                notes.append(incident_edits.severity_note(step.value))
            elif step.name == "zoom" and row.get("zoom_url") != step.value:
                row["zoom_url"] = step.value
                notes.append(zoom.ADDED_NOTE)
            elif step.name == "remove_zoom" and row.get("zoom_url"):
                row["zoom_url"] = None
                notes.append(zoom.REMOVED_NOTE)
        return notes + list(self.skipped)


@lru_cache(maxsize=16)
def template_actions(template: str) -> TemplateActions | None:
    """The template's quick actions, or None when it has none (the common, cheap case)."""
    if not quick_actions.might_contain_actions(template):
        return None
    extracted = quick_actions.extract(template)
    if not extracted.actions:
        return None
    steps: list[quick_actions.Step] = []
    skipped: list[str] = []
    for action in extracted.actions:
        if action.name in NOT_IN_TEMPLATES:
            skipped.append(
                f"skipped `{action.source}` from the issue template: "
                "not available when an alert opens the incident"
            )
            continue
        try:
            steps.extend(quick_actions.validate([action]))
        except AdminError as exc:
            skipped.append(f"skipped `{action.source}` from the issue template: {exc}")
    return TemplateActions(extracted.text, tuple(steps), tuple(skipped))
