"""Account mail (sign-up, a sign-up with a taken address, password reset) goes out after the
answer, so how long a mail server takes does not tell whether an address has an account.
No timing here: a stand-in mail server records when it is called."""

from __future__ import annotations

import smtplib

import pytest

from tests.conftest import PASSWORD
from tests.factories.mail import FakeSMTP


@pytest.fixture
def smtp_app(app, monkeypatch):
    from participate import create_app

    monkeypatch.setattr(smtplib, "SMTP", FakeSMTP)
    FakeSMTP.sent, FakeSMTP.fail = [], False
    return create_app({**app.config, "MAIL_BACKEND": "smtp"})


def _sign_up(email: str) -> dict:
    return {"name": "Someone", "email": email, "password": PASSWORD, "confirm": PASSWORD}


@pytest.mark.parametrize(
    "path, data",
    [
        ("/reset", {"email": "known@example.org"}),
        ("/signup", _sign_up("known@example.org")),  # taken: the holder is told
        ("/signup", _sign_up("new@example.org")),  # new: the confirmation link
    ],
)
def test_account_mail_is_sent_after_the_answer(smtp_app, make, db, path, data):
    make.user("known@example.org")
    response = smtp_app.test_client().post(path, data=data)
    assert response.status_code == 302
    assert FakeSMTP.sent == []  # the answer did not wait for the mail server
    response.close()  # what the server does once the answer is sent
    assert FakeSMTP.sent == [data["email"]]


def test_a_reset_for_an_unknown_address_sends_nothing(smtp_app, db):
    response = smtp_app.test_client().post("/reset", data={"email": "nobody@example.org"})
    assert response.status_code == 302
    response.close()
    assert FakeSMTP.sent == []


def test_a_failing_mail_server_is_logged_after_the_answer(smtp_app, make, db, caplog):
    make.user("known@example.org")
    FakeSMTP.fail = True
    response = smtp_app.test_client().post("/reset", data={"email": "known@example.org"})
    assert response.status_code == 302
    response.close()  # does not raise
    assert "not sent" in caplog.text
