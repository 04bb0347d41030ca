"""Links in mail (issue 15): each is whole as written in the message (no quoted-printable soft
line breaks, no encoded header), and each starts with the configured BASE_URL, whichever
host the request came in on and whether or not a request sends it (a job, the CLI)."""

from __future__ import annotations

import re
from email import message_from_bytes
from email.policy import default
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import PASSWORD
from tests.factories.mail import FakeSMTP

BASE = "https://participate.example.gov.uk"
URL = re.compile(rb"https?://[^\s<>\"]+")


@pytest.fixture
def base(app, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", BASE + "/")
    return BASE


def _raw_mails(outbox: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(outbox.glob("*.eml"))]


def _check_whole(raw: bytes) -> list[str]:
    """The links of one raw message, after checking the body is written as it reads."""
    head, _, body = raw.partition(b"\n\n")
    message = message_from_bytes(raw, policy=default)
    assert message["Content-Transfer-Encoding"] in ("7bit", "8bit"), head
    assert b"=\n" not in body and b"=3D" not in body
    assert body.decode("utf-8") == message.get_content()  # written as it reads
    links = [u.decode() for u in URL.findall(body)]
    assert links
    for link in links:
        assert link.startswith(BASE + "/"), link
    return links


@pytest.mark.parametrize(
    "path, data, wanted",
    [
        (
            "/signup",
            {"name": "Ada", "email": "new@example.org", "password": PASSWORD, "confirm": PASSWORD},
            ["/confirm/"],
        ),
        (
            "/signup",
            {
                "name": "Ada",
                "email": "known@example.org",
                "password": PASSWORD,
                "confirm": PASSWORD,
            },
            ["/login", "/reset/"],
        ),
        ("/reset", {"email": "known@example.org"}, ["/reset/"]),
    ],
)
def test_account_mail_links_are_whole_and_on_the_base_url(
    client, make, db, outbox, base, path, data, wanted
):
    make.user("known@example.org")
    response = client.post(path, data=data, base_url="http://some-other-host.test")
    assert response.status_code == 302
    response.close()
    (raw,) = _raw_mails(outbox)
    links = _check_whole(raw)
    assert [w for w in wanted if not any(urlsplit(link).path.startswith(w) for link in links)] == []
    for link in links:  # each opens the page it names
        assert client.get(urlsplit(link).path).status_code in (200, 302), link


def test_a_notification_mail_links_in_full_with_a_plain_unsubscribe_header(
    client, make, db, outbox, base
):
    from participate.notifications.services import notify

    person = make.user("told@example.org")
    notify(
        [person.id],
        "membership_decided",
        "You are now a member of “Health and care council, Manchester” — welcome.",
        "/councils/health-manchester",
    )
    db.session.commit()
    (raw,) = _raw_mails(outbox)
    links = _check_whole(raw)
    assert links[0] == BASE + "/councils/health-manchester"
    assert links[1] == BASE + "/me/notifications"
    header = re.search(rb"^List-Unsubscribe: (.*)$", raw, re.M).group(1).decode()
    assert header == f"<{links[2]}>"  # not folded, not encoded
    for link in links[2:]:
        page = client.get(urlsplit(link).path)
        assert page.status_code == 200 and "Stop" in page.get_data(as_text=True)


def test_mail_sent_outside_a_request_uses_the_base_url(app, make, db, outbox, base):
    from participate.accounts.services import request_password_reset, send_confirmation

    person = make.user("job@example.org", confirmed=False)
    with app.app_context():  # no request: as a job or the CLI sends it
        send_confirmation(person)
        request_password_reset("job@example.org")
    for raw in _raw_mails(outbox):
        assert _check_whole(raw)


def test_a_long_paragraph_is_wrapped_at_words_and_keeps_its_link(app, db, outbox, base):
    from participate.mail import send_mail

    link = f"{BASE}/proposals/1#comment-2"
    send_mail("x@example.org", "Long", "word " * 400 + f"“quoted” {link} end.\n")
    db.session.commit()
    (raw,) = _raw_mails(outbox)
    assert _check_whole(raw) == [link]
    assert max(len(line) for line in raw.split(b"\n")) <= 998


def test_a_server_without_8bitmime_gets_quoted_printable(app, monkeypatch):
    from participate import mail

    sent = []

    class OldSMTP(FakeSMTP):
        def has_extn(self, name):
            return False

        def send_message(self, message, mail_options=()):
            sent.append((message, tuple(mail_options)))

    monkeypatch.setattr(mail.smtplib, "SMTP", OldSMTP)
    message = mail.EmailMessage(policy=mail.POLICY)
    message["To"] = "x@example.org"
    message.set_content("“quoted” café\n", cte="8bit")
    mail._smtp_send({"MAIL_SERVER": "h", "MAIL_PORT": 25}, message)
    ((out, options),) = sent
    assert out["Content-Transfer-Encoding"] == "quoted-printable" and options == ()
    assert out.get_content() == "“quoted” café\n"
