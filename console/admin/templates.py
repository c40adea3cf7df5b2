"""Issue templates: add, list, show and delete."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin.settings import load_settings
from console.models import IssueTemplate, utcnow

MAX_TEMPLATE_CHARS = 100_000


def _clean_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise AdminError("a template needs a name")
    if len(cleaned) > 255 or "/" in cleaned or "\\" in cleaned:
        raise AdminError("a template name is at most 255 characters, without slashes")
    return cleaned


def find(session: Session, name: str) -> IssueTemplate:
    """The template called `name`, or AdminError."""
    found = session.scalar(select(IssueTemplate).where(IssueTemplate.name == name))
    if found is None:
        raise AdminError(f"no template named {name!r}")
    return found


def save(session: Session, name: str, content: str, *, replace: bool = False) -> IssueTemplate:
    """Add a template (or replace its content when `replace`)."""
    cleaned = _clean_name(name)
    if len(content) > MAX_TEMPLATE_CHARS:
        raise AdminError(f"a template is at most {MAX_TEMPLATE_CHARS} characters")
    existing = session.scalar(select(IssueTemplate).where(IssueTemplate.name == cleaned))
    if existing is not None:
        if not replace:
            raise AdminError(f"a template named {cleaned!r} already exists (use --replace)")
        existing.content = content
        existing.updated_at = utcnow()
        return existing
    template = IssueTemplate(name=cleaned, content=content)
    session.add(template)
    session.flush()
    return template


def list_all(session: Session) -> list[IssueTemplate]:
    """Every template, by name."""
    return list(session.scalars(select(IssueTemplate).order_by(IssueTemplate.name)))


def delete(session: Session, name: str) -> None:
    """Delete a template, unless it is the one incidents are created with."""
    template = find(session, name)
    if load_settings(session).get("issue_template") == template.name:
        raise AdminError(
            f"template {name!r} is the issue template in use; choose another one first"
        )
    session.delete(template)
