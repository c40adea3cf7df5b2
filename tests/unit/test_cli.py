"""The command line, run as users and the acceptance suite run it: fresh processes, `--db URL`."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import httpx
import pytest

from tests.conftest import FORMATS, ServeProcess, run_cli


def ok(*args: str, db_url: str):
    done = run_cli(*args, db_url=db_url)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout) if "--json" in args else done.stdout


def refused(*args: str, db_url: str, fragment: str) -> None:
    done = run_cli(*args, db_url=db_url)
    assert done.returncode != 0
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert fragment in lines[0], lines[0]


def test_integrations_add_and_list(db_url):
    added = ok(
        "integrations",
        "add",
        "--name",
        "Prod Prometheus",
        "--type",
        "prometheus",
        "--json",
        db_url=db_url,
    )
    assert set(added) == {"name", "identifier", "url", "token"}
    assert added["url"] == f"/alerts/notify/prod-prometheus/{added['identifier']}.json"
    assert len(added["identifier"]) == 16 and int(added["identifier"], 16) >= 0
    listed = ok("integrations", "list", "--json", db_url=db_url)
    assert [(i["name"], i["type"], i["active"]) for i in listed] == [
        ("Prod Prometheus", "prometheus", True)
    ]
    assert "token" not in listed[0]


def test_mapping_from_the_command_line(db_url):
    ok("integrations", "add", "--name", "custom", "--json", db_url=db_url)
    ok(
        "integrations",
        "set-mapping",
        "custom",
        "--field",
        "title=alert/name",
        "--field",
        "hosts=targets[0]/host",
        db_url=db_url,
    )
    shown = ok("integrations", "show", "custom", "--json", db_url=db_url)
    assert shown["mapping"] == {"title": "alert/name", "hosts": "targets[0]/host"}
    refused(
        "integrations",
        "set-mapping",
        "custom",
        "--field",
        "colour=x",
        db_url=db_url,
        fragment="unknown field",
    )
    refused(
        "integrations",
        "set-mapping",
        "nobody",
        "--field",
        "title=x",
        db_url=db_url,
        fragment="no integration named",
    )


def test_settings_set_and_show(db_url, tmp_path):
    ok("settings", "set", "create_incident", "true", db_url=db_url)
    ok("settings", "set", "auto_close_incident", "false", db_url=db_url)
    shown = ok("settings", "show", "--json", db_url=db_url)
    assert shown["create_incident"] is True and shown["auto_close_incident"] is False
    assert shown["send_email"] is False and shown["issue_template"] == ""
    refused("settings", "set", "colour", "blue", db_url=db_url, fragment="unknown setting")
    refused("settings", "set", "create_incident", "maybe", db_url=db_url, fragment="true or false")
    refused(
        "settings", "set", "issue_template", "Missing", db_url=db_url, fragment="does not exist"
    )
    template = tmp_path / "Postmortem.md"
    template.write_text("## Timeline\n")
    ok("templates", "add", "Postmortem", "--file", str(template), db_url=db_url)
    ok("settings", "set", "issue_template", "Postmortem", db_url=db_url)
    assert ok("settings", "show", "--json", db_url=db_url)["issue_template"] == "Postmortem"
    assert ok("templates", "list", "--json", db_url=db_url)[0]["name"] == "Postmortem"
    refused("templates", "delete", "Postmortem", db_url=db_url, fragment="in use")
    refused(
        "templates",
        "add",
        "X",
        "--file",
        str(tmp_path / "none.md"),
        db_url=db_url,
        fragment="cannot read",
    )


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("alerts", "set-status", "1", "resolved"), "no alert #1"),
        (("alerts", "set-status", "x", "resolved"), "invalid int value"),
        (("alerts", "set-status", "1", "done"), "invalid choice"),
        (("incidents", "show", "3", "--json"), "no incident #3"),
        (("incidents", "close", "3"), "no incident #3"),
        (("alerts", "list", "--status", "weird"), "invalid choice"),
        (("bogus",), "invalid choice"),
        # Numbers no row can have are answered as missing, never sent to the store.
        (("incidents", "show", "99999999999999999999"), "no incident #99999999999999999999"),
        (("incidents", "note", "-99999999999999999999", "hi"), "no incident #-9999"),
        (("alerts", "show", "99999999999999999999"), "no alert #99999999999999999999"),
        (("alerts", "set-status", "9" * 30, "resolved"), "no alert #999"),
        (("rules", "delete", "99999999999999999999"), "no alert rule 99999999999999999999"),
        (("alerts", "list", "--limit", "99999999999999999999"), "--limit: must be from 0 to"),
        (("alerts", "list", "--limit", "-5"), "--limit: must be from 0 to"),
        (("alerts", "list", "--limit", "some"), "'some' is not a whole number"),
        (("serve", "--port", "65536"), "--port: must be from 0 to 65535, not 65536"),
        (("serve", "--port", "-1"), "--port: must be from 0 to 65535, not -1"),
        (("serve", "--port", "http"), "'http' is not a port number"),
        (("rules", "add", "up", "--op", ">", "--threshold", "nan"), "must be a finite number"),
    ],
)
def test_bad_arguments_are_one_line_errors(db_url, args, fragment):
    refused(*args, db_url=db_url, fragment=fragment)


# Bytes that are not UTF-8 reach Python as lone surrogates (subprocess writes them back as
# the raw bytes); no store, JSON or terminal takes them.
@pytest.mark.parametrize(
    ("args", "bad"),
    [
        (("settings", "set", "smtp_user", "\udcff"), "\udcff"),
        (("integrations", "add", "--name", "n\udcff"), "n\udcff"),
        (("rules", "add", "up\udcff", "--op", ">", "--threshold", "1"), "up\udcff"),
        (("--db", "/tmp/\udcff.db"), "/tmp/\udcff.db"),  # the window's options too
    ],
)
def test_arguments_that_are_not_utf8_are_refused(db_url, args, bad):
    done = run_cli(*args, db_url=None if args[0] == "--db" else db_url)
    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"incident-console: error: argument {bad!r} is not valid UTF-8 text"
    ]


def test_a_note_from_stdin_that_is_not_utf8_is_refused(db_url):
    argv = [sys.executable, "-m", "console", "incidents", "note", "1", "-", "--db", db_url]
    done = subprocess.run(
        argv, check=False, input=b"fine \xff\xfe", capture_output=True, timeout=60
    )
    assert done.returncode == 1
    assert (
        done.stderr.decode().strip() == "incident-console: error: the note is not valid UTF-8 text"
    )


def test_unusable_store_is_one_line_error():
    done = run_cli("alerts", "list", "--db", "nosuchdialect://x")
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_serve_lifecycle_end_to_end(db_url, store):
    added = ok(
        "integrations", "add", "--name", "am", "--type", "prometheus", "--json", db_url=db_url
    )
    server = ServeProcess(db_url)
    headers = {"Authorization": f"Bearer {added['token']}"}
    url = server.base + added["url"]
    try:
        # Settings changed from the command line reach the running server without a restart.
        ok("settings", "set", "create_incident", "true", db_url=db_url)
        with httpx.Client(timeout=10) as client:
            response = client.post(
                url, content=(FORMATS / "alertmanager-v4-firing.json").read_bytes(), headers=headers
            )
            assert response.status_code == 200
            assert response.json()[0]["incident_iid"] is not None
        alerts = ok("alerts", "list", "--json", db_url=db_url)
        assert set(alerts[0]) >= {
            "iid",
            "title",
            "status",
            "severity",
            "events",
            "fingerprint",
            "incident_iid",
            "service",
            "monitoring_tool",
            "hosts",
            "started_at",
            "ended_at",
        }
        assert alerts[0]["hosts"] == "db01:9100" and alerts[0]["monitoring_tool"] == "Prometheus"
        incident_iid = alerts[0]["incident_iid"]
        ok("incidents", "close", str(incident_iid), db_url=db_url)
        shown = ok("incidents", "show", str(incident_iid), "--json", db_url=db_url)
        assert shown["status"] == "closed"
        assert {
            "iid",
            "title",
            "status",
            "severity",
            "labels",
            "alert_iids",
            "description",
            "notes",
        } <= set(shown)
        assert {"author", "body", "system", "created_at"} == set(shown["notes"][0])
        assert ok("alerts", "list", "--status", "resolved", "--json", db_url=db_url)
    finally:
        server.proc.send_signal(signal.SIGINT)
        assert server.proc.wait(10) == 0


def test_serve_stops_cleanly_on_sigterm(serve):
    assert serve.stop(timeout=10) == 0


def test_serve_refuses_a_busy_port(db_url, serve):
    port = serve.base.rsplit(":", 1)[1]
    done = run_cli("serve", "--port", port, db_url=db_url)
    assert done.returncode == 1
    assert "cannot listen" in done.stderr and "Traceback" not in done.stderr
