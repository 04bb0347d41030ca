"""Outgoing mail through a configurable backend.

``log`` (the default) writes each message to the application log and as an ``.eml`` file in
the outbox folder, so a developer can open a confirmation link; ``smtp`` sends it.
"""

from __future__ import annotations

import smtplib
import time
from email.message import EmailMessage
from pathlib import Path

from flask import current_app


def send_mail(to: str, subject: str, body: str) -> EmailMessage:
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["MAIL_SENDER"]
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    backend = config.get("MAIL_BACKEND", "log")
    if backend == "smtp":
        with smtplib.SMTP(config["MAIL_SERVER"], config["MAIL_PORT"], timeout=10) as smtp:
            if config.get("MAIL_USE_TLS"):
                smtp.starttls()
            if config.get("MAIL_USERNAME"):
                smtp.login(config["MAIL_USERNAME"], config["MAIL_PASSWORD"] or "")
            smtp.send_message(message)
    else:
        outbox = Path(config["MAIL_OUTBOX"])
        outbox.mkdir(parents=True, exist_ok=True)
        safe_to = "".join(ch if ch.isalnum() else "_" for ch in to)[:60]
        path = outbox / f"{time.time_ns()}-{safe_to}.eml"
        path.write_bytes(bytes(message))
        current_app.logger.info("mail to %s: %s (%s)\n%s", to, subject, path, body)
    return message


def outbox_messages(outbox: str | Path) -> list[Path]:
    return sorted(Path(outbox).glob("*.eml"))
