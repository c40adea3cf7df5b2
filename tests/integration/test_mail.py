"""Alert email against a real SMTP server (aiosmtpd, started here): plain, STARTTLS and TLS
with login, the message itself, a server that is down, one that refuses, one that defers."""

from __future__ import annotations

import asyncio
import datetime as dt
import ipaddress
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

import orjson
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from console.engine.pipeline import Source, Submission, process_batch
from console.engine.writer import BatchStats
from console.ingest import parse_body
from console.services.delivery import RetryPolicy
from console.services.notify import NotificationDispatcher
from tests.conftest import FORMATS, set_settings

pytestmark = pytest.mark.integration

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)
FAST = RetryPolicy(attempts=3, first_delay=0.05, max_delay=1.0)
USER, PASSWORD = "console", "s3cret"
ALERT = {
    "title": "Checkout latency above 2s",
    "description": "p99 of /checkout is 2.4 s\nsince the deploy",
    "environment": "production",
    "service": "checkout",
    "hosts": ["web-1", "web-2"],
    "fingerprint": "checkout-latency",
    "severity": "high",
}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 (cryptography, else the openssl command)."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    try:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        subprocess.run(
            [
                *(
                    "openssl",
                    "req",
                    "-x509",
                    "-newkey",
                    "ec",
                    "-pkeyopt",
                    "ec_paramgen_curve:P-256",
                ),
                *("-nodes", "-days", "1", "-subj", "/CN=127.0.0.1"),
                *("-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)),
            ],
            check=True,
            capture_output=True,
        )
        return cert, key
    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


@dataclass
class Mailbox:
    """An aiosmtpd handler that keeps messages, and can answer DATA from a script."""

    replies: list[str] = field(default_factory=list)  # answers to DATA, then 250
    messages: list[EmailMessage] = field(default_factory=list)
    recipients: list[list[str]] = field(default_factory=list)
    attempts: int = 0

    async def handle_DATA(self, server, session, envelope) -> str:
        self.attempts += 1
        if self.replies:
            return self.replies.pop(0)
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        self.recipients.append(list(envelope.rcpt_tos))
        return "250 Message accepted"


def authenticator(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and (auth_data.login, auth_data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)  # not handled: the server answers 535


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
    return make_certificate(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def client_context(certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(certificate[0]))


@pytest.fixture
def server_context(certificate) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(str(certificate[0]), str(certificate[1]))
    return context


@pytest.fixture
def smtp_server() -> Iterator:
    """Start an SMTP server: `smtp_server(mailbox, security, **smtp_options)` → port."""
    started: list[Controller] = []

    def start(mailbox: Mailbox, **options) -> int:
        port = free_port()  # aiosmtpd's Controller cannot take port 0
        controller = Controller(mailbox, hostname="127.0.0.1", port=port, **options)
        controller.start()
        started.append(controller)
        return port

    yield start
    for controller in started:
        controller.stop()


def commit(store, body: dict) -> BatchStats:
    _shape, alerts = parse_body(orjson.dumps(body), now=NOW)
    with store.write_engine.begin() as conn:
        results = [
            r for b in process_batch(conn, [Submission(Source(None, "m"), alerts)]) for r in b
        ]
    return BatchStats(1, len(results), 0.0, (), (), tuple(results))


def mail_settings(store, port: int, security: str, **extra: str) -> None:
    set_settings(
        store,
        create_incident="true",
        send_email="true",
        email_recipients="noc@example.com, ops@example.com",
        smtp_host="127.0.0.1",
        smtp_port=str(port),
        smtp_security=security,
        smtp_from="console@example.com",
        **extra,
    )


def deliver(store, *batches: BatchStats, context: ssl.SSLContext | None = None):
    async def scenario() -> NotificationDispatcher:
        dispatcher = NotificationDispatcher(store, retry=FAST, mail_context=context)
        dispatcher.start()
        for stats in batches:
            dispatcher.observe(stats)
        await asyncio.sleep(0)
        deadline = time.monotonic() + 30
        while dispatcher.pending and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        await dispatcher.stop(grace=0)
        return dispatcher

    return asyncio.run(scenario())


def parts(message: EmailMessage) -> tuple[str, str]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()


# ---- the message -------------------------------------------------------------------------------


def test_new_alert_mail_over_plain_smtp(store, smtp_server):
    mailbox = Mailbox()
    mail_settings(store, smtp_server(mailbox), "none")
    dispatcher = deliver(store, commit(store, ALERT))
    assert dispatcher.sent["email"] == 1 and dispatcher.failed == 0
    [message] = mailbox.messages
    assert message["Subject"] == "Alert: production: Checkout latency above 2s"
    assert message["From"] == "console@example.com"
    assert mailbox.recipients == [["noc@example.com", "ops@example.com"]]
    assert message.get_content_type() == "multipart/alternative"
    text, html = parts(message)
    for body in (text, html):
        assert "p99 of /checkout is 2.4 s" in body
        assert "production" in body
        assert "incident-console://incident/1" in body
    assert "Query: -" in text
    assert '<a href="incident-console://incident/1">View incident #1</a>' in html
    assert message["X-Incident-Console-Alert-IID"] == "1"


def test_query_and_recovery_mail(store, smtp_server):
    mailbox = Mailbox()
    mail_settings(store, smtp_server(mailbox), "none")
    firing = orjson.loads((FORMATS / "alertmanager-v4-firing.json").read_bytes())
    alert = firing["alerts"][0]
    alert["generatorURL"] = "http://prom:9090/graph?g0.expr=rate%28errors%5B5m%5D%29+%3E+1"
    alert["labels"].pop("environment", None)
    firing["alerts"] = [alert]
    opened = commit(store, firing)
    resolved = {**firing, "status": "resolved", "alerts": [{**alert, "status": "resolved"}]}
    resolved["alerts"][0]["endsAt"] = "2026-11-29T12:05:00Z"
    recovered = commit(store, resolved)
    deliver(store, opened, recovered)
    first, second = mailbox.messages
    title = opened.results[0].title
    assert first["Subject"] == f"Alert: {title}"  # no environment: no empty part
    assert "rate(errors[5m]) &gt; 1" in parts(first)[1]
    assert "Query: rate(errors[5m]) > 1" in parts(first)[0]
    assert second["Subject"] == f"Resolved: {title}"
    assert "has recovered" in parts(second)[0]


# ---- security and login ------------------------------------------------------------------------


def test_starttls_with_login(store, smtp_server, server_context, client_context):
    mailbox = Mailbox()
    port = smtp_server(
        mailbox,
        tls_context=server_context,
        require_starttls=True,
        authenticator=authenticator,
        auth_required=True,
    )
    mail_settings(store, port, "starttls", smtp_user=USER, smtp_password=PASSWORD)
    dispatcher = deliver(store, commit(store, ALERT), context=client_context)
    assert dispatcher.failed == 0, dispatcher.recent_errors()
    assert len(mailbox.messages) == 1


def test_implicit_tls_with_login(store, smtp_server, server_context, client_context):
    mailbox = Mailbox()
    # aiosmtpd does not count implicit TLS as TLS for its AUTH-needs-TLS rule.
    port = smtp_server(
        mailbox,
        ssl_context=server_context,
        authenticator=authenticator,
        auth_required=True,
        auth_require_tls=False,
    )
    mail_settings(store, port, "tls", smtp_user=USER, smtp_password=PASSWORD)
    dispatcher = deliver(store, commit(store, ALERT), context=client_context)
    assert dispatcher.failed == 0, dispatcher.recent_errors()
    assert len(mailbox.messages) == 1


def test_wrong_password_is_reported_without_retrying(
    store, smtp_server, server_context, client_context
):
    mailbox = Mailbox()
    port = smtp_server(
        mailbox, tls_context=server_context, authenticator=authenticator, auth_required=True
    )
    mail_settings(store, port, "starttls", smtp_user=USER, smtp_password="wrong")
    dispatcher = deliver(store, commit(store, ALERT), context=client_context)
    [error] = dispatcher.recent_errors()
    assert error.channel == "email" and "535" in error.message
    assert "wrong" not in error.message
    assert mailbox.messages == []


def test_untrusted_certificate_is_refused(store, smtp_server, server_context):
    mailbox = Mailbox()
    port = smtp_server(mailbox, tls_context=server_context)
    mail_settings(store, port, "starttls")
    dispatcher = deliver(store, commit(store, ALERT))  # the system's trust store
    [error] = dispatcher.recent_errors()
    assert "certificate" in error.message.lower()
    assert mailbox.messages == []


# ---- failures ----------------------------------------------------------------------------------


def test_server_down_is_retried_then_reported(store):
    mail_settings(store, free_port(), "none")
    started = time.monotonic()
    dispatcher = deliver(store, commit(store, ALERT))
    assert time.monotonic() - started >= FAST.first_delay  # it waited before retrying
    [error] = dispatcher.recent_errors()
    assert f"after {FAST.attempts} tries" in error.message
    assert "ConnectionRefusedError" in error.message
    assert dispatcher.failed == 1 and dispatcher.health()["failed"] == 1


def test_refusal_550_is_reported_at_once(store, smtp_server):
    mailbox = Mailbox(replies=["550 5.7.1 Relaying denied"] * 5)
    mail_settings(store, smtp_server(mailbox), "none")
    dispatcher = deliver(store, commit(store, ALERT))
    assert mailbox.attempts == 1
    [error] = dispatcher.recent_errors()
    assert "550" in error.message and "Relaying denied" in error.message


def test_deferral_451_is_retried(store, smtp_server):
    mailbox = Mailbox(replies=["451 4.3.0 Try again later"])
    mail_settings(store, smtp_server(mailbox), "none")
    dispatcher = deliver(store, commit(store, ALERT))
    assert mailbox.attempts == 2
    assert len(mailbox.messages) == 1
    assert dispatcher.sent["email"] == 1 and dispatcher.failed == 0
