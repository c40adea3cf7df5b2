"""Issue templates: add, list, show, rename, duplicate, delete, and folders of `.md` files.

A folder holds one template per `<Name>.md` file, as GitLab keeps them in
`.gitlab/issue_templates/`. Reading and writing folders is split from the store work
(`read_folder` / `import_templates`, `write_folder`) so a window can do the file work off
the writer; `import_folder` and `export_folder` do both for the command line.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from console.admin import AdminError
from console.admin.settings import load_settings, set_setting
from console.models import IssueTemplate, utcnow
from console.text import not_utf8

MAX_TEMPLATE_CHARS = 100_000
MAX_NAME = 255
SUFFIX = ".md"
# Characters some file systems refuse in a file name; a template that holds one cannot be
# exported under its own name, so it is refused from the start.
_UNSAFE = frozenset('/\\:*?"<>|')


def check_name(name: str) -> str:
    """The name as stored (trimmed), or AdminError saying why it is refused."""
    cleaned = name.strip()
    if not cleaned:
        raise AdminError("a template needs a name")
    if len(cleaned) > MAX_NAME:
        raise AdminError(f"a template name is at most {MAX_NAME} characters")
    unsafe = sorted(_UNSAFE.intersection(cleaned))
    if unsafe or any(ord(c) < 32 for c in cleaned):
        shown = " ".join(unsafe) or "control characters"
        raise AdminError(f"a template name cannot hold {shown} (it is also a file name)")
    if cleaned.startswith("."):
        raise AdminError("a template name cannot start with a dot (it is also a file name)")
    if not_utf8([cleaned]) is not None:  # a file name in another encoding
        raise AdminError(f"the template name {cleaned!r} is not valid UTF-8 text")
    return cleaned


def _check_content(content: str) -> None:
    if len(content) > MAX_TEMPLATE_CHARS:
        raise AdminError(f"a template is at most {MAX_TEMPLATE_CHARS} characters")


def _exists(session: Session, name: str) -> bool:
    return session.scalar(select(IssueTemplate.id).where(IssueTemplate.name == name)) is not None


def find(session: Session, name: str) -> IssueTemplate:
    """The template called `name`, or AdminError."""
    found = session.scalar(select(IssueTemplate).where(IssueTemplate.name == name))
    if found is None:
        raise AdminError(f"no template named {name!r}")
    return found


def save(session: Session, name: str, content: str, *, replace: bool = False) -> IssueTemplate:
    """Add a template (or replace its content when `replace`)."""
    cleaned = check_name(name)
    _check_content(content)
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


def in_use(session: Session) -> str:
    """The name of the issue template incidents are created with ("" for none)."""
    return str(load_settings(session).get("issue_template") or "")


def delete(session: Session, name: str) -> None:
    """Delete a template, unless it is the one incidents are created with."""
    template = find(session, name)
    if in_use(session) == template.name:
        raise AdminError(
            f"template {name!r} is the issue template in use; choose another one first"
        )
    session.delete(template)


def rename(session: Session, name: str, new_name: str) -> IssueTemplate:
    """Rename a template; the issue template setting follows when it named this one."""
    template = find(session, name)
    cleaned = check_name(new_name)
    if cleaned == template.name:
        return template
    if _exists(session, cleaned):
        raise AdminError(f"a template named {cleaned!r} already exists")
    followed = in_use(session) == template.name
    template.name = cleaned
    template.updated_at = utcnow()
    session.flush()
    if followed:
        set_setting(session, "issue_template", cleaned)
    return template


def duplicate(session: Session, name: str, new_name: str) -> IssueTemplate:
    """A copy of a template under another name."""
    source = find(session, name)
    cleaned = check_name(new_name)
    if _exists(session, cleaned):
        raise AdminError(f"a template named {cleaned!r} already exists")
    return save(session, cleaned, source.content)


@dataclass(frozen=True, slots=True)
class ImportResult:
    """What an import did: templates added, replaced, and left alone because they exist."""

    added: list[str]
    replaced: list[str]
    skipped: list[str]


def read_folder(folder: str | Path) -> list[tuple[str, str]]:
    """`(name, content)` of every `<name>.md` file directly in `folder`, by name.

    Refuses the whole folder (AdminError) when a file cannot be read or named, so an import
    never stops half-way.
    """
    root = Path(folder)
    if not root.is_dir():
        raise AdminError(f"{root} is not a folder")
    found: list[tuple[str, str]] = []
    problems: list[str] = []
    for path in sorted(root.iterdir()):
        if path.suffix.lower() != SUFFIX or not path.is_file() or path.name.startswith("."):
            continue
        try:
            name = check_name(path.stem)
            content = path.read_text(encoding="utf-8")
            _check_content(content)
        except (AdminError, OSError, UnicodeDecodeError) as exc:
            problems.append(f"{path.name}: {exc}")
            continue
        found.append((name, content))
    if problems:
        raise AdminError("cannot import " + "; ".join(problems))
    if not found:
        raise AdminError(f"{root} holds no .md files")
    return found


def import_templates(
    session: Session, items: Iterable[tuple[str, str]], *, replace: bool = False
) -> ImportResult:
    """Add templates; one whose name exists is replaced when `replace`, else skipped."""
    result = ImportResult([], [], [])
    for name, content in items:
        if _exists(session, check_name(name)):
            if not replace:
                result.skipped.append(name)
                continue
            result.replaced.append(name)
        else:
            result.added.append(name)
        save(session, name, content, replace=True)
    return result


def import_folder(session: Session, folder: str | Path, *, replace: bool = False) -> ImportResult:
    """Import every `.md` file of `folder` (see `read_folder` and `import_templates`)."""
    return import_templates(session, read_folder(folder), replace=replace)


def write_folder(folder: str | Path, items: Iterable[tuple[str, str]]) -> list[Path]:
    """Write each `(name, content)` to `folder/<name>.md` (created if missing, files of the
    same name replaced); returns the files written."""
    root = Path(folder)
    named = [(check_name(name), content) for name, content in items]  # refuse before writing
    try:
        root.mkdir(parents=True, exist_ok=True)
        written = []
        for name, content in named:
            path = root / f"{name}{SUFFIX}"
            path.write_text(content, encoding="utf-8")
            written.append(path)
    except OSError as exc:
        raise AdminError(f"cannot export to {root}: {exc.strerror or exc}") from None
    return written


def export_folder(session: Session, folder: str | Path) -> list[Path]:
    """Write every template to `folder` as `<name>.md`."""
    return write_folder(folder, [(t.name, t.content) for t in list_all(session)])
