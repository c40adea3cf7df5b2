"""Quick actions: `/command argument` lines in notes and descriptions that act on the incident.

`/zoom <url>`, `/remove_zoom`, `/close`, `/reopen`, `/label ~a ~"b c"`, `/unlabel ~a`,
`/assign @name`, `/unassign [@name]`, `/severity <level>`, `/ack`. A quick action is a line
that starts with one of these names (case-insensitive), outside fenced code; its line is
removed from the stored text, and `/words` that are not quick actions stay text.

Every action of a text is validated before any is applied: one invalid argument refuses the
whole text with a message naming every problem, and nothing changes. Then the actions apply
in the order written, each through the engine function that owns that change (so each leaves
its usual system note), in the caller's transaction. An action with nothing to do (closing a
closed incident, removing a meeting that is not there) is reported and skipped.

Templates of incidents opened by alerts are handled in `console.engine.template_actions`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.engine import incident_edits, lifecycle, zoom
from console.models import Alert, AlertStatus, IncidentStatus, Severity

Arity = Literal["none", "required", "optional"]
ARITY: dict[str, Arity] = {
    "zoom": "required",
    "remove_zoom": "none",
    "close": "none",
    "reopen": "none",
    "label": "required",
    "unlabel": "required",
    "assign": "required",
    "unassign": "optional",
    "severity": "required",
    "ack": "none",
}
# GitLab's incident severities S1-S4 are accepted as well as the console's names.
SEVERITY_ALIASES = {"s1": "critical", "s2": "high", "s3": "medium", "s4": "low"}

_LINE = re.compile(r"/([A-Za-z_]+)(?:[ \t]+(.*?))?[ \t]*")
_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_LABEL = re.compile(r'~"([^"]*)"|~?([^\s,~"]+)')
_LABEL_SEPARATORS = re.compile(r"[\s,]*")


class QuickActionError(AdminError):
    """Quick actions refused; nothing was changed."""


@dataclass(frozen=True, slots=True)
class QuickAction:
    """One `/name argument` line."""

    name: str
    argument: str

    @property
    def source(self) -> str:
        """The action as written (normalised), for messages."""
        return f"/{self.name} {self.argument}".rstrip()


@dataclass(frozen=True, slots=True)
class Extracted:
    """A text split into what is kept and the quick actions it held."""

    text: str
    actions: tuple[QuickAction, ...]


@dataclass(frozen=True, slots=True)
class Step:
    """A validated action: its name and its parsed argument."""

    name: str
    names: tuple[str, ...] = ()  # labels or assignees
    value: str = ""  # zoom link or severity


@dataclass(frozen=True, slots=True)
class QuickResult:
    """What a text with quick actions did to incident `iid`."""

    iid: int
    text: str  # the text as stored, without its quick-action lines
    messages: tuple[str, ...]
    note_id: int | None = None


def might_contain_actions(text: str) -> bool:
    """A cheap test: False means the text certainly holds no quick action."""
    return text.startswith("/") or "\n/" in text


def extract(text: str) -> Extracted:
    """Split `text` into kept lines and quick actions (pure)."""
    if not might_contain_actions(text):
        return Extracted(text, ())
    kept: list[str] = []
    actions: list[QuickAction] = []
    fence: str | None = None
    for line in text.splitlines(keepends=True):
        bare = line.rstrip("\r\n")
        opened = _FENCE.match(bare)
        if fence is not None:
            if opened and opened.group(1)[0] == fence[0] and len(opened.group(1)) >= len(fence):
                fence = None
        elif opened:
            fence = opened.group(1)
        elif (match := _LINE.fullmatch(bare)) and match.group(1).lower() in ARITY:
            actions.append(QuickAction(match.group(1).lower(), match.group(2) or ""))
            continue
        kept.append(line)
    if not actions:
        return Extracted(text, ())
    return Extracted("".join(kept).strip("\r\n"), tuple(actions))


def parse_labels(argument: str) -> list[str]:
    """`~a ~"b c", d` → ["a", "b c", "d"]; QuickActionError for what cannot be read."""
    leftover = _LABEL.sub(" ", argument)
    if not _LABEL_SEPARATORS.fullmatch(leftover):
        raise QuickActionError(f"cannot read the label names in {argument!r}")
    return [quoted or bare for quoted, bare in _LABEL.findall(argument)]


def parse_people(argument: str) -> list[str]:
    """`@alice bob, @carol` → ["alice", "bob", "carol"]."""
    return [word.removeprefix("@") for word in re.split(r"[\s,]+", argument) if word.strip("@")]


def severity_value(argument: str) -> str:
    """A severity name (or S1-S4) as stored; QuickActionError for anything else."""
    word = argument.strip().lower()
    word = SEVERITY_ALIASES.get(word, word)
    names = [s.value for s in Severity]
    if word not in names:
        raise QuickActionError(
            f"/severity must be one of {', '.join(names)} (or S1-S4), not {argument.strip()!r}"
        )
    return word


def _step(action: QuickAction) -> Step:
    name, argument = action.name, action.argument.strip()
    arity = ARITY[name]
    if arity == "none" and argument:
        raise QuickActionError(f"/{name} takes no argument (got {argument!r})")
    if arity == "required" and not argument:
        raise QuickActionError(f"/{name} needs an argument")
    if name == "zoom":
        return Step(name, value=zoom.checked_zoom_link(argument))
    if name == "severity":
        return Step(name, value=severity_value(argument))
    if name in ("label", "unlabel"):
        names = incident_edits.checked_names(parse_labels(argument), "label")
        if not names:
            raise QuickActionError(f"/{name} needs a label name, such as ~database")
        return Step(name, names=tuple(names))
    if name in ("assign", "unassign"):
        people = incident_edits.checked_names(parse_people(argument), "assignee")
        if name == "assign" and not people:
            raise QuickActionError("/assign needs a name, such as @alice")
        return Step(name, names=tuple(people))
    return Step(name)


def validate(actions: tuple[QuickAction, ...] | list[QuickAction]) -> list[Step]:
    """Every action checked; QuickActionError naming every problem when any is refused."""
    steps: list[Step] = []
    problems: list[str] = []
    for action in actions:
        try:
            steps.append(_step(action))
        except AdminError as exc:
            problems.append(str(exc))
    if problems:
        raise QuickActionError("; ".join(problems))
    return steps


def names_after(current: list[str], steps: list[Step], add: str, remove: str) -> list[str]:
    """Names after applying every add/remove step in order (`unassign` with no names: all)."""
    names = list(current)
    for step in steps:
        if step.name == add:
            names += [n for n in step.names if n not in names]
        elif step.name == remove:
            names = [n for n in names if n not in step.names] if step.names else []
    return names


def _listed(prefix: str, names: list[str]) -> str:
    return " ".join(f"{prefix}{name}" for name in names)


def apply_steps(session: Session, iid: int, steps: list[Step], author: str) -> list[str]:
    """Apply validated steps to incident `iid` in order; returns one message per step."""
    incident = lifecycle.get_incident(session, iid)
    messages: list[str] = []
    labels_done = people_done = False
    for step in steps:
        name = step.name
        if name == "zoom":
            if incident.zoom_url == step.value:
                messages.append("This Zoom meeting is already attached.")
            else:
                zoom.set_zoom_link(session, iid, step.value, author)
                messages.append("Zoom meeting added.")
        elif name == "remove_zoom":
            if not incident.zoom_url:
                messages.append("There is no Zoom meeting to remove.")
            else:
                zoom.remove_zoom_link(session, iid, author)
                messages.append("Zoom meeting removed.")
        elif name == "close":
            if incident.status == IncidentStatus.CLOSED.value:
                messages.append(f"Incident #{iid} is already closed.")
            else:
                lifecycle.close_incident(session, iid, author)
                messages.append(f"Closed incident #{iid}.")
        elif name == "reopen":
            if incident.status == IncidentStatus.OPEN.value:
                messages.append(f"Incident #{iid} is already open.")
            else:
                lifecycle.reopen_incident(session, iid, author)
                messages.append(f"Reopened incident #{iid}.")
        elif name in ("label", "unlabel") and not labels_done:
            labels_done = True
            current = list(incident.labels or [])
            messages.append(_change_names(session, iid, current, steps, names=_LABELS, by=author))
        elif name in ("assign", "unassign") and not people_done:
            people_done = True
            current = list(incident.assignees or [])
            messages.append(_change_names(session, iid, current, steps, names=_PEOPLE, by=author))
        elif name == "severity":
            incident_edits.set_severity(session, iid, step.value, author)
            messages.append(f"Set severity to {step.value}.")
        elif name == "ack":
            messages.append(_acknowledge(session, iid, author))
    return messages


@dataclass(frozen=True, slots=True)
class _NameList:
    """How the quick actions of a list of names (labels, assignees) change it and say so."""

    add: str  # the action that adds names, and the one that removes them
    remove: str
    sigil: str
    added: str  # the words for what was done
    removed: str
    unchanged: str
    apply: Callable[[Session, int, list[str], str], object]


_LABELS = _NameList(
    "label", "unlabel", "~", "Added", "Removed", "Labels unchanged.", incident_edits.set_labels
)
_PEOPLE = _NameList(
    "assign",
    "unassign",
    "@",
    "Assigned",
    "Unassigned",
    "Assignees unchanged.",
    incident_edits.set_assignees,
)


def _change_names(
    session: Session, iid: int, current: list[str], steps: list[Step], *, names: _NameList, by: str
) -> str:
    """Apply a message's label (or assignee) actions at once; what changed, in words."""
    wanted = names_after(current, steps, names.add, names.remove)
    names.apply(session, iid, wanted, by)
    added, removed = incident_edits.name_changes(current, wanted)
    if not added and not removed:
        return names.unchanged
    parts = [f"{names.added} {_listed(names.sigil, added)}."] if added else []
    parts += [f"{names.removed} {_listed(names.sigil, removed)}."] if removed else []
    return " ".join(parts)


def _acknowledge(session: Session, iid: int, author: str) -> str:
    waiting = list(
        session.scalars(
            select(Alert.iid)
            .where(Alert.incident_iid == iid, Alert.status == AlertStatus.TRIGGERED.value)
            .order_by(Alert.iid)
        )
    )
    for alert_iid in waiting:
        lifecycle.set_alert_status(session, alert_iid, AlertStatus.ACKNOWLEDGED.value, author)
    if not waiting:
        return "No alert of this incident is waiting for acknowledgement."
    return "Acknowledged " + ", ".join(f"alert #{n}" for n in waiting) + "."


def run_actions(
    session: Session, iid: int, actions: tuple[QuickAction, ...], author: str
) -> list[str]:
    """Validate every action, then apply them all to incident `iid` (caller's transaction)."""
    steps = validate(actions)
    return apply_steps(session, iid, steps, author)


def apply_to_note(session: Session, iid: int, body: str, author: str) -> QuickResult:
    """Post a note on incident `iid`, running its quick actions; the note keeps the rest.

    A note made only of quick actions stores no comment. Refused actions raise
    QuickActionError before anything changes.
    """
    lifecycle.get_incident(session, iid)
    extracted = extract(body)
    steps = validate(extracted.actions)
    if not extracted.text.strip() and not steps:
        raise AdminError("a note needs some text")
    note_id = None
    if extracted.text.strip():
        note_id = incident_edits.add_note(session, iid, extracted.text, author).id
    messages = apply_steps(session, iid, steps, author)
    return QuickResult(iid, extracted.text, tuple(messages), note_id)


def apply_to_description(session: Session, iid: int, description: str, author: str) -> QuickResult:
    """Replace incident `iid`'s description, running the quick actions it holds."""
    lifecycle.get_incident(session, iid)
    extracted = extract(description)
    steps = validate(extracted.actions)
    incident_edits.edit_description(session, iid, extracted.text, author)
    messages = apply_steps(session, iid, steps, author)
    return QuickResult(iid, extracted.text, tuple(messages))


def create_incident_from_text(
    session: Session, title: str, description: str, author: str
) -> QuickResult:
    """Open an incident from scratch; quick actions in its description run on it."""
    extracted = extract(description)
    steps = validate(extracted.actions)
    incident = incident_edits.create_incident(session, title, extracted.text, author)
    messages = apply_steps(session, incident.iid, steps, author)
    return QuickResult(incident.iid, extracted.text, tuple(messages))
