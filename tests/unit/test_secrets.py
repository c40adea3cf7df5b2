"""Secret settings: in a keyring when one works (a fake backend here), else in the store."""

from __future__ import annotations

import logging

import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError, PasswordSetError
from sqlalchemy import select

from console.admin import AdminError
from console.admin import secrets as secret_store
from console.admin import settings as settings_admin
from console.models import SettingRow
from console.store import open_store

SECRET = "s3cr3t-value-for-tests"


class FakeKeyring(KeyringBackend):
    """A keyring in memory; `refuse` makes writes fail as a locked keyring would."""

    priority = 5  # type: ignore[assignment]
    viable = False  # never chosen by keyring's own discovery: only where a test sets it

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.refuse: set[str] = set()

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        if any(username.startswith(prefix) for prefix in self.refuse):
            raise PasswordSetError("locked")
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if (service, username) not in self.entries:
            raise PasswordDeleteError("no such entry")
        del self.entries[(service, username)]


@pytest.fixture(autouse=True)
def _clean(monkeypatch):
    monkeypatch.delenv(secret_store.MODE_ENV, raising=False)
    previous = keyring.get_keyring()
    secret_store.clear_cache()
    yield
    keyring.set_keyring(previous)
    secret_store.clear_cache()


@pytest.fixture
def fake() -> FakeKeyring:
    backend = FakeKeyring()
    keyring.set_keyring(backend)
    return backend


def row(store, key: str) -> str | None:
    with store.read() as session:
        return session.scalar(select(SettingRow.value).where(SettingRow.key == key))


def put(store, key: str, value: str) -> None:
    with store.write() as session:
        settings_admin.set_setting(session, key, value)


def load(store) -> dict:
    with store.read() as session:
        return settings_admin.load_settings(session)


def test_this_machine_has_no_keyring_so_secrets_stay_in_the_store(store):
    assert secret_store.working_keyring() is None
    with store.read() as session:
        where = settings_admin.secret_placement(session)
    assert not where.in_keyring and "no OS keyring" in where.description
    put(store, "smtp_password", SECRET)
    assert row(store, "smtp_password") == f'"{SECRET}"'
    assert load(store)["smtp_password"] == SECRET
    assert settings_admin.public_settings(load(store))["smtp_password"] == "********"


def test_with_a_keyring_the_store_holds_only_a_marker(store, fake):
    with store.read() as session:
        assert settings_admin.secret_placement(session).in_keyring
    put(store, "grafana_token", SECRET)
    stored = row(store, "grafana_token")
    assert SECRET not in stored and '"keyring"' in stored
    assert list(fake.entries.values()) == [SECRET]
    assert load(store)["grafana_token"] == SECRET
    # Another process (empty cache) reads it from the keyring.
    secret_store.clear_cache()
    assert load(store)["grafana_token"] == SECRET


def test_a_change_reuses_the_entry_and_moves_the_stamp(store, fake):
    put(store, "smtp_password", "first")
    first = row(store, "smtp_password")
    put(store, "smtp_password", "second")
    assert row(store, "smtp_password") != first
    assert list(fake.entries.values()) == ["second"]
    assert load(store)["smtp_password"] == "second"
    put(store, "smtp_password", "")
    assert fake.entries == {}
    assert row(store, "smtp_password") == '""'
    assert load(store)["smtp_password"] == ""


def test_two_stores_on_one_machine_do_not_share_entries(tmp_path, fake):
    one = open_store(f"sqlite:///{tmp_path / 'one.db'}")
    two = open_store(f"sqlite:///{tmp_path / 'two.db'}")
    try:
        put(one, "smtp_password", "one")
        put(two, "smtp_password", "two")
        assert load(one)["smtp_password"] == "one"
        assert load(two)["smtp_password"] == "two"
        assert len(fake.entries) == 2
    finally:
        one.dispose()
        two.dispose()


def test_a_shared_store_keeps_secrets_in_the_store_unless_told(monkeypatch, fake):
    assert not secret_store.placement(store_is_local=False).in_keyring
    assert "shared" in secret_store.placement(store_is_local=False).description
    monkeypatch.setenv(secret_store.MODE_ENV, "keyring")
    assert secret_store.placement(store_is_local=False).in_keyring
    monkeypatch.setenv(secret_store.MODE_ENV, "store")
    assert not secret_store.placement(store_is_local=True).in_keyring


def test_forcing_the_store_moves_a_secret_out_of_the_keyring(store, fake, monkeypatch):
    put(store, "slack_signing_secret", SECRET)
    monkeypatch.setenv(secret_store.MODE_ENV, "store")
    put(store, "slack_signing_secret", "plain")
    assert fake.entries == {}
    assert row(store, "slack_signing_secret") == '"plain"'


def test_a_marker_without_the_keyring_resolves_empty_and_warns_once(store, fake, caplog):
    put(store, "smtp_password", SECRET)
    keyring.set_keyring(keyring.backends.fail.Keyring())
    secret_store.clear_cache()
    with caplog.at_level(logging.WARNING):
        assert load(store)["smtp_password"] == ""
        assert load(store)["smtp_password"] == ""
    warnings = [r.getMessage() for r in caplog.records if "smtp_password" in r.getMessage()]
    assert len(warnings) == 1 and "keyring" in warnings[0]


def test_a_refusing_keyring_is_a_clear_error_without_the_value(store, fake):
    fake.refuse.add("smtp_password")
    with pytest.raises(AdminError) as refused:
        put(store, "smtp_password", SECRET)
    assert "keyring refused" in str(refused.value) and SECRET not in str(refused.value)
    assert row(store, "smtp_password") is None


def test_a_refused_save_leaves_the_keyring_as_it_was(store, fake):
    put(store, "grafana_token", "old-token")
    fake.refuse.add("smtp_password")
    with pytest.raises(AdminError), store.write() as session:
        settings_admin.apply_settings(
            session, {"grafana_token": "new-token", "smtp_password": SECRET, "smtp_port": "25"}
        )
    secret_store.clear_cache()
    assert load(store)["grafana_token"] == "old-token"
    assert load(store)["smtp_port"] == 587
    assert SECRET not in fake.entries.values()


def test_secrets_never_reach_the_log(store, fake, caplog):
    with caplog.at_level(logging.DEBUG):
        put(store, "slack_webhook_url", "https://hooks.example.com/T000/B000/" + SECRET)
        load(store)
        with pytest.raises(AdminError) as refused:
            put(store, "slack_webhook_url", "not a url " + SECRET)
    assert SECRET not in caplog.text
    assert SECRET not in str(refused.value)
