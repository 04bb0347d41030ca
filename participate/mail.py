"""Outgoing mail: written to the database in the caller's transaction, delivered after it commits.

``send_mail`` adds one ``outgoing_mail`` row to the caller's session; nothing leaves the
machine on the request path. When that transaction commits, the ``mail_queued`` signal
names the new rows, and the job engine (``participate.jobs``, which connects to the signal
when the app starts) delivers them: at once, in this process, in the embedded default; by a
worker when a broker is configured. A transaction that rolls back takes its mail with it,
so a refused or raced action sends nothing. Delivery claims each row first
(``participate.jobs.delivery``), so a retry or a second worker never sends a message twice.

Backends (``MAIL_BACKEND``): ``log`` (the default) writes each message to the application
log and as an ``.eml`` file in the outbox folder, so a developer can open a confirmation
link; ``smtp`` sends it.

Links stay whole as written: the plain-text body goes as 7bit or 8bit UTF-8, not
quoted-printable (whose soft line breaks cut a long link in two and write ``=`` as
``=3D``); a paragraph longer than a mail line may be (998) is wrapped at its spaces, and a
server that does not take 8bit mail gets a quoted-printable copy. Links to the site are
built on ``BASE_URL`` (``external_url``), never on the host a request came in on.

This module imports nothing from the job engine (it sits below every feature).
"""

from __future__ import annotations

import copy
import re
import smtplib
import textwrap
import time
from collections.abc import Mapping
from datetime import datetime
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit

import sqlalchemy as sa
from blinker import Namespace
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from participate.extensions import db
from participate.util import utcnow

_SMTP_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS")
MAIL_STATUSES = ("pending", "sent", "failed")

_signals = Namespace()
#: Sent after a transaction that queued mail commits: ``sender`` is the Flask app,
#: ``ids`` the new rows' ids and ``after_response`` whether any of them is account mail.
mail_queued = _signals.signal("participate.mail-queued")

_PENDING_KEY = "participate.mail.pending"


class OutgoingMail(db.Model):
    """One message to send; the claim columns let exactly one worker deliver it."""

    __tablename__ = "outgoing_mail"
    __table_args__ = (
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')",
            name="status",
        ),
        sa.CheckConstraint("(status = 'sent') = (sent_at IS NOT NULL)", name="sent_at"),
        sa.CheckConstraint("attempts >= 0", name="attempts"),
        sa.Index("ix_outgoing_mail_status_claimed_until", "status", "claimed_until"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    to_address: Mapped[str] = mapped_column(sa.String(320))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    # Extra header fields (e.g. List-Unsubscribe), name -> value.
    headers: Mapped[dict | None] = mapped_column(sa.JSON(none_as_null=True))
    created_at: Mapped[datetime] = mapped_column(sa.DateTime, default=utcnow)
    status: Mapped[str] = mapped_column(sa.String(8), default="pending", server_default="pending")
    # How many deliveries were started (claims taken); a message that failed this many
    # times is marked failed and left for an operator.
    attempts: Mapped[int] = mapped_column(sa.Integer, default=0, server_default="0")
    # A worker's claim: it alone may deliver the row until claimed_until; a claim left by a
    # failure or a crash simply expires and the row is taken again.
    claimed_until: Mapped[datetime | None] = mapped_column(sa.DateTime)
    claim_token: Mapped[str | None] = mapped_column(sa.String(32))
    sent_at: Mapped[datetime | None] = mapped_column(sa.DateTime)
    last_error: Mapped[str] = mapped_column(sa.Text, default="", server_default="")


MAX_LINE = 998  # RFC 5322's limit of a line, without its CRLF
_URL_FIELDS = frozenset({"list-unsubscribe", "list-unsubscribe-post", "list-help"})


class _MailPolicy(EmailPolicy):
    """The default policy, except that a header field holding a link (``List-Unsubscribe``)
    is written on one line as given: folded at 78 it would become RFC 2047 encoded words,
    which mail clients do not read as a link."""

    def _fold(self, name, value, *args, **kwargs):
        if name.lower() in _URL_FIELDS:
            return EmailPolicy._fold(
                self.clone(max_line_length=MAX_LINE), name, value, *args, **kwargs
            )
        return super()._fold(name, value, *args, **kwargs)


POLICY = _MailPolicy()  # email.policy.default is EmailPolicy() with no changes


def base_url() -> str:
    """The site's public address (``BASE_URL``) without a trailing slash: every link in a
    message starts here, the same from a request, a job or the CLI."""
    return current_app.config["BASE_URL"].rstrip("/")


def external_url(endpoint: str, **values) -> str:
    """The full address of a page, for a message: on ``base_url()`` (scheme, host and any
    path prefix)."""
    base = urlsplit(base_url())
    adapter = current_app.url_map.bind(
        base.netloc, script_name=base.path.rstrip("/") or "/", url_scheme=base.scheme or "http"
    )
    return adapter.build(endpoint, values, force_external=True)


def send_mail(
    to: str,
    subject: str,
    body: str,
    *,
    after_response: bool = False,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Queue one message in the caller's transaction; it is delivered once that commits.

    ``after_response`` marks account mail, whose timing must tell nothing about the account.
    No mail is sent on the request path in any case: in the embedded mode a request's mail
    goes over smtp once the answer is sent, and with a broker a worker sends it.
    ``headers``: extra header fields (e.g. ``List-Unsubscribe``); the addressing fields are
    this function's own. Returns the message as it will be sent."""
    extra = _checked_headers(headers)
    row = OutgoingMail(
        to_address=to,
        subject=subject[:300],
        body=body,
        headers=extra or None,
        created_at=utcnow(),
        status="pending",
    )
    db.session.add(row)
    db.session.flush()
    db.session.info.setdefault(_PENDING_KEY, []).append((row.id, after_response))
    return build_message(row)


_OWN_FIELDS = {"from", "to", "subject", "message-id", "cc", "bcc", "date"}
_FIELD_NAME = re.compile(r"^[A-Za-z0-9-]{1,60}$")


def _checked_headers(headers: Mapping[str, str] | None) -> dict[str, str]:
    """Extra header fields, refused (ValueError, a programming error) if a name is not a
    plain field name, is one of the addressing fields, or a value could start a new line."""
    checked: dict[str, str] = {}
    for name, value in (headers or {}).items():
        if not _FIELD_NAME.match(name) or name.lower() in _OWN_FIELDS:
            raise ValueError(f"send_mail: {name!r} cannot be set as an extra header field")
        if "\r" in value or "\n" in value or len(value) > 2000:
            raise ValueError(f"send_mail: the {name} header field must be one short line")
        checked[name] = value
    return checked


def build_message(row: OutgoingMail) -> EmailMessage:
    """The message of a row, with a Message-ID fixed by the row, so that a receiving server
    can recognise a message delivered twice (a worker that died between sending and
    recording it)."""
    config = current_app.config
    message = EmailMessage(policy=POLICY)
    message["From"] = config["MAIL_SENDER"]
    message["To"] = row.to_address
    message["Subject"] = row.subject
    domain = parseaddr(config["MAIL_SENDER"])[1].rpartition("@")[2] or "localhost"
    stamp = int((row.created_at or utcnow()).timestamp())
    message["Message-ID"] = f"<participate.{row.id}.{stamp}@{domain}>"
    for name, value in (row.headers or {}).items():
        message[name] = value
    body = _within_line_limit(row.body)
    if max((len(line.encode()) for line in body.splitlines()), default=0) > MAX_LINE:
        message.set_content(body)  # a word longer than a line: the email package's choice
    else:
        message.set_content(body, cte="7bit" if body.isascii() else "8bit")
    return message


def _within_line_limit(body: str) -> str:
    """``body`` with each line longer than a mail line may be wrapped at its spaces (a
    link, having none, stays whole on a line of its own); other lines as they are."""
    lines = []
    for line in body.splitlines():
        if len(line.encode()) <= MAX_LINE:
            lines.append(line)
        else:
            lines.extend(textwrap.wrap(line, 76, break_long_words=False, break_on_hyphens=False))
    return "\n".join(lines) + ("\n" if body.endswith("\n") else "")


def transport(message: EmailMessage) -> None:
    """Hand one message to the configured backend (raises OSError or SMTPException)."""
    config = current_app.config
    if config.get("MAIL_BACKEND", "log") == "smtp":
        _smtp_send({key: config.get(key) for key in _SMTP_SETTINGS}, message)
        return
    outbox = Path(config["MAIL_OUTBOX"])
    outbox.mkdir(parents=True, exist_ok=True)
    to = str(message["To"])
    safe_to = "".join(ch if ch.isalnum() else "_" for ch in to)[:60]
    path = outbox / f"{time.time_ns()}-{safe_to}.eml"
    path.write_bytes(bytes(message))
    current_app.logger.info(
        "mail to %s: %s (%s)\n%s", to, message["Subject"], path, message.get_content()
    )


def _smtp_send(settings: dict, message: EmailMessage) -> None:
    with smtplib.SMTP(settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=10) as smtp:
        if settings.get("MAIL_USE_TLS"):
            smtp.starttls()
        if settings.get("MAIL_USERNAME"):
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"] or "")
        options: tuple[str, ...] = ()
        if message["Content-Transfer-Encoding"] == "8bit":
            smtp.ehlo_or_helo_if_needed()
            if smtp.has_extn("8bitmime"):
                options = ("BODY=8BITMIME",)  # RFC 6152
            else:  # a server of 7bit mail only: the same text, quoted-printable
                message = copy.deepcopy(message)
                message.set_content(message.get_content(), cte="quoted-printable")
        smtp.send_message(message, mail_options=options)


# ---------------------------------------------------------------- after the commit


@event.listens_for(Session, "after_commit")
def _announce_committed_mail(session: Session) -> None:
    pending = session.info.pop(_PENDING_KEY, None)
    if not pending:
        return
    app = current_app._get_current_object()
    mail_queued.send(
        app,
        ids=[mail_id for mail_id, _ in pending],
        after_response=any(late for _, late in pending),
    )


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back_mail(session: Session) -> None:
    # The rows went with the transaction: there is nothing to deliver.
    session.info.pop(_PENDING_KEY, None)
