"""Alert email: the message (GitLab's subject and facts) and delivering a batch over SMTP.

Subject: `Alert: <environment>: <title>` as GitLab writes it; an alert without an environment
gets `Alert: <title>` (no empty `: :` part), and a recovery `Resolved: <environment>: <title>`.
The body is multipart (plain text and HTML) with the description, environment, query
(`full_query`), service, hosts and a link that opens the incident in the console
(`incident-console://incident/<n>`; alerts without an incident name their number instead).

`deliver` is blocking (smtplib): the dispatcher runs it on its own thread. It opens one
connection for a batch of messages (`smtp_security`: `none`, `starttls` or `tls`, then
login when a user is set) and sorts each message into sent, to retry (connection trouble
and 4xx replies) or failed (5xx replies: a refusal that retrying would only repeat).
`smtp_settings` reads the connection from the settings, and `compose_and_deliver` builds
and sends a batch in one go (on the mail thread: composing MIME is not free).
"""

from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass, field, replace
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from console.services.notice import Notice
from console.text import one_line

TIMEOUT_SECONDS = 15.0
SUBJECT_LIMIT = 200
DEFAULT_SENDER = "incident-console@localhost"


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send (from the `smtp_*` settings)."""

    host: str
    port: int
    security: str  # none, starttls, tls
    user: str
    password: str
    sender: str


@dataclass(frozen=True, slots=True)
class OutgoingMail:
    """One message and who still has to receive it."""

    message: EmailMessage
    recipients: tuple[str, ...]
    alert_iid: int


@dataclass(slots=True)
class DeliveryReport:
    """What one `deliver` call did with each message."""

    sent: list[OutgoingMail] = field(default_factory=list)
    retry: list[tuple[OutgoingMail, str]] = field(default_factory=list)
    failed: list[tuple[OutgoingMail, str]] = field(default_factory=list)


def subject(notice: Notice) -> str:
    """`Alert: <environment>: <title>` (or `Resolved: …`), without an empty environment."""
    prefix = "Alert" if notice.kind == "triggered" else "Resolved"
    parts = [prefix, one_line(notice.environment), one_line(notice.title)]
    return ": ".join(part for part in parts if part)[:SUBJECT_LIMIT]


def _facts(notice: Notice) -> list[tuple[str, str]]:
    facts = [
        ("Title", notice.title),
        ("Severity", notice.severity),
        ("Environment", notice.environment or "-"),
        ("Description", notice.description or "-"),
        ("Query", notice.full_query or "-"),
    ]
    facts += [("Service", notice.service)] if notice.service else []
    facts += [("Monitoring tool", notice.monitoring_tool)] if notice.monitoring_tool else []
    facts += [("Hosts", notice.hosts)] if notice.hosts else []
    if notice.started_at is not None:
        facts.append(("Started", notice.started_at.isoformat(timespec="seconds")))
    if notice.kind == "resolved" and notice.ended_at is not None:
        facts.append(("Ended", notice.ended_at.isoformat(timespec="seconds")))
    return facts


def _opening(notice: Notice) -> str:
    if notice.kind == "triggered":
        return f"Alert #{notice.alert_iid} has been triggered."
    return f"Alert #{notice.alert_iid} has recovered."


def text_body(notice: Notice) -> str:
    """The plain-text part."""
    lines = [_opening(notice), ""]
    for name, value in _facts(notice):
        if "\n" in value.strip():
            lines += [f"{name}:", value.strip(), ""]
        else:
            lines.append(f"{name}: {value}")
    lines.append("")
    if notice.incident_link is not None:
        lines.append(f"View incident #{notice.incident_iid}: {notice.incident_link}")
    else:
        lines.append(f"No incident was opened for alert #{notice.alert_iid}.")
    return "\n".join(lines) + "\n"


def html_body(notice: Notice) -> str:
    """The HTML part: the same facts, escaped, and the incident as a link."""
    rows = "".join(
        f'<tr><th align="left" valign="top">{html.escape(name)}</th>'
        f'<td style="white-space: pre-wrap">{html.escape(value)}</td></tr>'
        for name, value in _facts(notice)
    )
    if notice.incident_link is not None:
        target = html.escape(notice.incident_link, quote=True)
        footer = f'<p><a href="{target}">View incident #{notice.incident_iid}</a></p>'
    else:
        footer = f"<p>No incident was opened for alert #{notice.alert_iid}.</p>"
    return (
        f"<html><body><p>{html.escape(_opening(notice))}</p>"
        f"<table>{rows}</table>{footer}</body></html>"
    )


def build(notice: Notice, sender: str, recipients: tuple[str, ...]) -> OutgoingMail:
    """The multipart message about one notice."""
    message = EmailMessage()
    message["Subject"] = subject(notice)
    message["From"] = sender or DEFAULT_SENDER
    message["To"] = ", ".join(recipients)
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="incident-console")
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies, please
    message["X-Incident-Console-Alert-IID"] = str(notice.alert_iid)
    if notice.incident_iid is not None:
        message["X-Incident-Console-Incident-IID"] = str(notice.incident_iid)
    message.set_content(text_body(notice))
    message.add_alternative(html_body(notice), subtype="html")
    return OutgoingMail(message, recipients, notice.alert_iid)


def _connect(smtp: SmtpSettings, context: ssl.SSLContext | None) -> smtplib.SMTP:
    context = context or ssl.create_default_context()
    client: smtplib.SMTP
    if smtp.security == "tls":
        client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS, context=context)
    else:
        client = smtplib.SMTP(smtp.host, smtp.port, timeout=TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if smtp.security == "starttls":
            client.starttls(context=context)
            client.ehlo()
        if smtp.user:
            client.login(smtp.user, smtp.password)
    except BaseException:
        client.close()
        raise
    return client


def _reason(exc: BaseException) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        said = (
            exc.smtp_error.decode("utf-8", "replace") if isinstance(exc.smtp_error, bytes) else ""
        )
        return f"{exc.smtp_code} {one_line(said or str(exc.smtp_error))}"
    return f"{type(exc).__name__}: {exc}"


def _permanent(exc: BaseException) -> bool:
    """5xx replies, a refused login and a certificate that does not verify: retrying repeats
    the refusal. Connection trouble and 4xx replies may pass later."""
    if isinstance(exc, smtplib.SMTPResponseException):
        return exc.smtp_code >= 500
    return isinstance(exc, smtplib.SMTPNotSupportedError | ssl.SSLCertVerificationError)


def _send_one(
    client: smtplib.SMTP, mail: OutgoingMail, sender: str, report: DeliveryReport
) -> None:
    try:
        refused = client.send_message(mail.message, sender, list(mail.recipients))
    except smtplib.SMTPRecipientsRefused as exc:
        refused = exc.recipients
    later = tuple(r for r, (code, _) in refused.items() if code < 500)
    lost = {r: reply for r, reply in refused.items() if reply[0] >= 500}
    if len(refused) < len(mail.recipients):
        report.sent.append(mail)
    if later:
        report.retry.append((replace(mail, recipients=later), "recipients deferred (4xx)"))
    if lost:
        said = "; ".join(
            f"{r}: {code} {text.decode('utf-8', 'replace')}" for r, (code, text) in lost.items()
        )
        report.failed.append((replace(mail, recipients=tuple(lost)), f"recipients refused: {said}"))


def deliver(
    smtp: SmtpSettings, mails: list[OutgoingMail], context: ssl.SSLContext | None = None
) -> DeliveryReport:
    """Send `mails` over one SMTP connection (blocking); see the module docstring."""
    report = DeliveryReport()
    sender = smtp.sender or DEFAULT_SENDER
    try:
        client = _connect(smtp, context)
    except (OSError, smtplib.SMTPException) as exc:
        bucket = report.failed if _permanent(exc) else report.retry
        bucket.extend((mail, _reason(exc)) for mail in mails)
        return report
    try:
        for index, mail in enumerate(mails):
            try:
                _send_one(client, mail, sender, report)
            except smtplib.SMTPResponseException as exc:
                bucket = report.failed if _permanent(exc) else report.retry
                bucket.append((mail, _reason(exc)))
            except (OSError, smtplib.SMTPException) as exc:  # the connection went away
                report.retry.extend((m, _reason(exc)) for m in mails[index:])
                break
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return report


def smtp_settings(settings: dict[str, Any]) -> SmtpSettings:
    """The SMTP connection the settings describe."""
    user = str(settings.get("smtp_user") or "")
    sender = str(settings.get("smtp_from") or "") or (user if "@" in user else "")
    return SmtpSettings(
        host=str(settings.get("smtp_host") or ""),
        port=int(settings.get("smtp_port") or 587),
        security=str(settings.get("smtp_security") or "starttls"),
        user=user,
        password=str(settings.get("smtp_password") or ""),
        sender=sender,
    )


def compose_and_deliver(
    smtp: SmtpSettings,
    recipients: tuple[str, ...],
    notices: list[Notice],
    context: ssl.SSLContext | None,
) -> DeliveryReport:
    """Build the messages (on the mail thread: composing MIME is not free) and send them."""
    return deliver(smtp, [build(n, smtp.sender, recipients) for n in notices], context)
