"""A stand-in SMTP server for the tests of mail delivery."""

from __future__ import annotations

import smtplib


class FakeSMTP:
    """Records the address of each message it is given; set ``fail`` to make it refuse.
    Reset ``sent`` and ``fail`` before each test (class attributes, shared by instances)."""

    sent: list[str] = []
    fail = False

    def __init__(self, host, port, timeout=None):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def starttls(self):
        pass

    def login(self, user, password):
        pass

    def ehlo_or_helo_if_needed(self):
        pass

    def has_extn(self, name):
        return name.lower() == "8bitmime"

    def send_message(self, message, mail_options=()):
        if FakeSMTP.fail:
            raise smtplib.SMTPServerDisconnected("the mail server went away")
        FakeSMTP.sent.append(str(message["To"]))
