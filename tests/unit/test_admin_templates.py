"""Issue templates: rename, duplicate, delete in use, folders of `.md` files, and the CLI."""

from __future__ import annotations

import json
import os

import pytest

from console.admin import AdminError
from console.admin import settings as settings_admin
from console.admin import templates as templates_admin
from tests.conftest import run_cli


def names(store) -> list[str]:
    with store.read() as session:
        return [t.name for t in templates_admin.list_all(session)]


def content(store, name: str) -> str:
    with store.read() as session:
        return templates_admin.find(session, name).content


@pytest.fixture
def two(store):
    with store.write() as session:
        templates_admin.save(session, "Incident", "## Summary\n")
        templates_admin.save(session, "Postmortem", "## Timeline\n")
    return store


def test_rename_keeps_the_issue_template_setting_pointing_at_it(two):
    with two.write() as session:
        settings_admin.set_setting(session, "issue_template", "Incident")
    with two.write() as session:
        templates_admin.rename(session, "Incident", "Major incident")
    assert names(two) == ["Major incident", "Postmortem"]
    with two.read() as session:
        assert settings_admin.load_settings(session)["issue_template"] == "Major incident"
    with two.write() as session:
        templates_admin.rename(session, "Postmortem", "Review")
    with two.read() as session:
        assert settings_admin.load_settings(session)["issue_template"] == "Major incident"


@pytest.mark.parametrize(
    ("old", "new", "fragment"),
    [
        ("Incident", "Postmortem", "already exists"),
        ("Missing", "X", "no template named"),
        ("Incident", "  ", "needs a name"),
        ("Incident", "a/b", "cannot hold /"),
        ("Incident", "On call: db", "cannot hold :"),
        ("Incident", ".hidden", "cannot start with a dot"),
    ],
)
def test_rename_refusals(two, old, new, fragment):
    with pytest.raises(AdminError, match=fragment), two.write() as session:
        templates_admin.rename(session, old, new)
    assert names(two) == ["Incident", "Postmortem"]


def test_duplicate_copies_the_content(two):
    with two.write() as session:
        templates_admin.duplicate(session, "Incident", "Incident (copy)")
    assert content(two, "Incident (copy)") == "## Summary\n"
    with pytest.raises(AdminError, match="already exists"), two.write() as session:
        templates_admin.duplicate(session, "Incident", "Postmortem")


def test_delete_of_the_template_in_use_is_refused(two):
    with two.write() as session:
        settings_admin.set_setting(session, "issue_template", "Postmortem")
    with pytest.raises(AdminError, match="in use"), two.write() as session:
        templates_admin.delete(session, "Postmortem")
    with two.write() as session:
        templates_admin.delete(session, "Incident")
    assert names(two) == ["Postmortem"]


def test_import_a_gitlab_folder(store, tmp_path):
    folder = tmp_path / ".gitlab" / "issue_templates"
    folder.mkdir(parents=True)
    (folder / "Incident.md").write_text("## Summary\n/label ~incident\n", encoding="utf-8")
    (folder / "Bug report.md").write_text("## Steps\n", encoding="utf-8")
    (folder / "notes.txt").write_text("not a template", encoding="utf-8")
    with store.write() as session:
        result = templates_admin.import_folder(session, folder)
    assert result.added == ["Bug report", "Incident"] and not result.skipped
    assert content(store, "Incident") == "## Summary\n/label ~incident\n"
    (folder / "Incident.md").write_text("## New summary\n", encoding="utf-8")
    with store.write() as session:
        again = templates_admin.import_folder(session, folder)
    assert again.skipped == ["Bug report", "Incident"]
    assert content(store, "Incident") == "## Summary\n/label ~incident\n"
    with store.write() as session:
        replaced = templates_admin.import_folder(session, folder, replace=True)
    assert replaced.replaced == ["Bug report", "Incident"]
    assert content(store, "Incident") == "## New summary\n"


def test_import_refuses_the_whole_folder_for_one_bad_file(store, tmp_path):
    (tmp_path / "Good.md").write_text("fine", encoding="utf-8")
    (tmp_path / "Bad.md").write_bytes(b"\xff\xfe not utf-8")
    with pytest.raises(AdminError, match=r"Bad\.md"):
        templates_admin.read_folder(tmp_path)
    with pytest.raises(AdminError, match="not a folder"):
        templates_admin.read_folder(tmp_path / "missing")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(AdminError, match=r"no \.md files"):
        templates_admin.read_folder(empty)
    assert names(store) == []


def test_import_refuses_a_file_name_that_is_not_utf8(store, tmp_path):
    (tmp_path / "Good.md").write_text("fine", encoding="utf-8")
    (tmp_path / os.fsdecode(b"Caf\xe9.md")).write_text("latin-1 name", encoding="utf-8")
    with pytest.raises(AdminError, match=r"not valid UTF-8 text"), store.write() as session:
        templates_admin.import_folder(session, tmp_path)
    assert names(store) == []


def test_export_then_import_round_trips(two, tmp_path, store):
    out = tmp_path / "export"
    with two.read() as session:
        written = templates_admin.export_folder(session, out)
    assert sorted(p.name for p in written) == ["Incident.md", "Postmortem.md"]
    assert (out / "Postmortem.md").read_text(encoding="utf-8") == "## Timeline\n"
    assert templates_admin.read_folder(out) == [
        ("Incident", "## Summary\n"),
        ("Postmortem", "## Timeline\n"),
    ]


def test_template_commands(db_url, tmp_path):
    folder = tmp_path / "issue_templates"
    folder.mkdir()
    (folder / "Incident.md").write_text("## Summary\n", encoding="utf-8")

    def ok(*args: str):
        done = run_cli(*args, db_url=db_url)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if "--json" in args else done.stdout

    assert ok("templates", "import", str(folder), "--json")["added"] == ["Incident"]
    assert ok("templates", "duplicate", "Incident", "Copy", "--json") == {"name": "Copy"}
    assert ok("templates", "rename", "Copy", "Review", "--json") == {"name": "Review"}
    names_now = [t["name"] for t in ok("templates", "list", "--json")]
    assert names_now == ["Incident", "Review"]
    out = tmp_path / "out"
    written = ok("templates", "export", str(out), "--json")["written"]
    assert sorted(p.rsplit("/", 1)[-1] for p in written) == ["Incident.md", "Review.md"]
    refused = run_cli("templates", "rename", "Review", "Incident", db_url=db_url)
    assert refused.returncode == 1
    assert refused.stderr.strip().splitlines() == [
        "incident-console: error: a template named 'Incident' already exists"
    ]
    bad = run_cli("templates", "import", str(tmp_path / "nowhere"), db_url=db_url)
    assert bad.returncode == 1 and "not a folder" in bad.stderr
