"""The e-mails of notifications, digests and reminders: plain sentences (no Markdown), the
page's address, and at the end the links to the settings and to unsubscribe (also as a
``List-Unsubscribe`` header), each link signed for its reader."""

from __future__ import annotations

import html
import re

import nh3

from participate.mail import base_url, external_url, send_mail
from participate.markup import render_markdown
from participate.notifications import kinds as K
from participate.notifications.unsubscribe import make_token

SETTINGS_PATH = "/me/notifications"
SUBJECT_MAX = 100
_BLOCK_END = re.compile(r"</(p|li|h\d|blockquote|pre|tr)>", re.I)


def unsubscribe_url(user_id: int, scope: str) -> str:
    return external_url("notifications.unsubscribe_page", token=make_token(user_id, scope))


def plain(text: str) -> str:
    """``text`` (which may hold Markdown: a reason, an answer) as plain sentences: rendered,
    stripped of markup, paragraphs kept, entities decoded."""
    rendered = render_markdown(text or "")
    rendered = _BLOCK_END.sub(lambda m: m.group(0) + "\n\n", rendered).replace("<li>", "<li>- ")
    stripped = html.unescape(nh3.clean(rendered, tags=set()))
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", stripped)]
    return "\n\n".join(p for p in paragraphs if p)


def sentence(text: str) -> str:
    """One well-formed sentence: plain text that ends with a full stop (or ? ! …)."""
    said = plain(text)
    if said and said[-1] not in ".?!…”\"')":
        said += "."
    elif said.endswith("”") and len(said) > 1 and said[-2] not in ".?!":
        said += "."
    return said


def subject_of(text: str) -> str:
    """The first sentence, cut at a word (not mid-word) when it is long."""
    first = plain(text).split("\n", 1)[0]
    match = re.match(r"(.+?[.?!])(\s|$)", first)
    line = (match.group(1) if match else first).rstrip(".")
    if len(line) <= SUBJECT_MAX:
        return line
    return line[:SUBJECT_MAX].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def footer(user_id: int, scope: str) -> str:
    base = base_url()
    if scope == K.DIGEST_SCOPE:
        stop = "Stop the daily digest"
    elif scope in K.KINDS:
        stop = f"Stop e-mail when {K.KINDS[scope].label}"
    else:
        stop = "Stop all e-mail from us"
    lines = [
        "-- ",
        f"Choose what we e-mail you: {base}{SETTINGS_PATH}",
        f"{stop}: {unsubscribe_url(user_id, scope)}",
    ]
    if scope != K.ALL:
        lines.append(f"Stop all e-mail from us: {unsubscribe_url(user_id, K.ALL)}")
    return "\n".join(lines)


def send(user_id: int, address: str, subject: str, body: str, scope: str) -> None:
    """One message to one person, ending with the unsubscribe links; ``List-Unsubscribe``
    names the link for ``scope`` too (RFC 2369: it opens the confirmation page)."""
    link = unsubscribe_url(user_id, scope)
    send_mail(
        address,
        subject,
        f"{body.rstrip()}\n\n{footer(user_id, scope)}\n",
        headers={"List-Unsubscribe": f"<{link}>"},
    )


def notification_body(text: str, link: str) -> str:
    body = sentence(text)
    if link:
        body += f"\n\nRead more: {base_url()}{link}"
    return body
