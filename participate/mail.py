"""Outgoing mail through a configurable backend.

``log`` (the default) writes each message to the application log and as an ``.eml`` file in
the outbox folder, so a developer can open a confirmation link; ``smtp`` sends it.
"""

from __future__ import annotations

import smtplib
import time
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path

from flask import after_this_request, current_app, has_request_context

_SMTP_SETTINGS = ("MAIL_SERVER", "MAIL_PORT", "MAIL_USERNAME", "MAIL_PASSWORD", "MAIL_USE_TLS")


def send_mail(
    to: str,
    subject: str,
    body: str,
    *,
    after_response: bool = False,
    headers: Mapping[str, str] | None = None,
) -> EmailMessage:
    """Send one message. With ``after_response`` (account mail) and the smtp backend, the
    message goes once the answer is sent (the response's close, which the WSGI server
    calls), so the answer's timing does not depend on the mail server; a failure is logged.
    ``headers`` adds header fields (e.g. ``List-Unsubscribe``)."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    backend = config.get("MAIL_BACKEND", "log")
    if backend == "smtp":
        settings = {key: config.get(key) for key in _SMTP_SETTINGS}
        if after_response and has_request_context():
            _send_after_response(current_app._get_current_object(), settings, message)
        else:
            _smtp_send(settings, message)
    else:
        outbox = Path(config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        safe_to = "".join(ch if ch.isalnum() else "_" for ch in to)[:60]
        path = outbox / f"{time.time_ns()}-{safe_to}.eml"
        path.write_bytes(bytes(message))
        current_app.logger.info("mail to %s: %s (%s)\n%s", to, subject, path, body)
    return message


def _smtp_send(settings: dict, message: EmailMessage) -> None:
    with smtplib.SMTP(settings["MAIL_SERVER"], settings["MAIL_PORT"], timeout=10) as smtp:
        if settings.get("MAIL_USE_TLS"):
            smtp.starttls()
        if settings.get("MAIL_USERNAME"):
            smtp.login(settings["MAIL_USERNAME"], settings["MAIL_PASSWORD"] or "")
        smtp.send_message(message)


def _send_after_response(app, settings: dict, message: EmailMessage) -> None:
    def send() -> None:
        try:
            _smtp_send(settings, message)
        except (OSError, smtplib.SMTPException):
            app.logger.exception("mail to %s not sent: %s", message["To"], message["Subject"])

    @after_this_request
    def _later(response):
        response.call_on_close(send)
        return response


def outbox_messages(outbox: str | Path) -> list[Path]:
    return sorted(Path(outbox).glob("*.eml"))
