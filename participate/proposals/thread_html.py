"""The markup of a discussion thread, built in Python.

A proposal page may hold a thousand comments (DESIGN.md §8: p95 < 50 ms). Rendering them with
a Jinja loop spends most of its time in Jinja's per-expression machinery (attribute lookups,
escaping every value); building the same markup here with f-strings is several times faster.
`templates/proposals/_discussion.html` outputs it, so the page and its htmx fragment still
render the same partial (dates as the app's ``dt`` filter writes them: "3 Oct 2026, 09:55"). Everything that comes from people is escaped here (``html.escape``,
quotes included: plain strings, one Markup at the end); ``body_html`` was sanitised on save;
stances and constituencies are constrained by the database.
"""

from __future__ import annotations

from html import escape

from markupsafe import Markup

from participate.councils.models import CONSTITUENCY_LABELS
from participate.markup import iso_datetime

_MONTHS = ("", "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STANCE_LABELS = {"for": "For", "against": "Against", "neutral": "Neutral", "question": "Question"}
_CONSTITUENCIES = {key: escape(label) for key, label in CONSTITUENCY_LABELS.items()}


def render_thread(page, *, root: str, posted: int | None = None) -> Markup:
    """The thread of ``page`` (a reading.ProposalPage) as one <ol>, nested by its entries."""
    me = page.standing.user_id
    clerk = page.standing.is_clerk
    can_reply, can_hide = page.can["reply"], page.can["hide_comments"]
    purl = f"{root}/proposals/{page.proposal.id}"
    out = ['<ol class="thread" data-hx-target="next .slot" data-hx-swap="innerHTML">']
    add = out.append
    names: dict[str, str] = {}
    for entry in page.thread:
        c = entry.comment
        cid = c.id
        name = names.get(entry.author_name)
        if name is None:
            name = names[entry.author_name] = escape(entry.author_name)
        when = c.created_at
        reply_to = (
            f' <span class="reply-to">replying to {escape(entry.reply_to)}</span>'
            if entry.reply_to
            else ""
        )
        add(
            f'<li id="comment-{cid}"><article class="comment'
            f'{" just-posted" if cid == posted else ""}">'
            f'<p class="comment-meta"><span class="stance stance-{c.stance}">'
            f"{STANCE_LABELS[c.stance]}</span> <strong>{name}</strong> "
            f'<span class="constituency">{_CONSTITUENCIES[c.author_constituency]}</span> '
            f'<a class="permalink" href="#comment-{cid}"><time datetime="{iso_datetime(when)}">'
            f"{when.day} {_MONTHS[when.month]} {when.year}, {when.hour:02d}:{when.minute:02d}"
            f"</time></a>{reply_to}</p>"
        )
        own = me is not None and me == c.author_id
        if c.hidden_at is not None:
            add(f'<p class="hidden-note">Hidden by the clerk: {escape(c.hidden_reason)}</p>')
            if own or clerk:
                add(
                    '<details class="hidden-original"><summary>Show the hidden text (only its '
                    f"author and the clerk see it)</summary>{c.body_html}</details>"
                )
            hiding = page.hiding_of(c) if own else None
            if hiding is not None and hiding.appealed_at is None:
                add(
                    f'<p class="comment-actions"><a href="{root}/hidings/{hiding.id}/appeal">'
                    "Appeal against the hiding</a></p>"
                )
            elif hiding is not None and hiding.decision is None:
                add('<p class="hint">You appealed; the clerk will decide.</p>')
        else:
            add(f'<div class="comment-body">{c.body_html}</div>')
            if me is not None:
                actions = []
                if can_reply:
                    reply = f"{purl}/comments/{cid}/reply"
                    actions.append(
                        f'<a href="{reply}" data-hx-get="{reply}">Reply'
                        f'<span class="visually-hidden"> to {name}</span></a>'
                    )
                if not own:
                    flag = f"{root}/comments/{cid}/flag"
                    actions.append(
                        f'<a href="{flag}" data-hx-get="{flag}">Flag'
                        f'<span class="visually-hidden"> comment by {name}</span></a>'
                    )
                if can_hide and not own:  # a clerk does not moderate their own comment
                    actions.append(
                        f'<a href="{root}/comments/{cid}/hide">Hide'
                        f'<span class="visually-hidden"> comment by {name}</span></a>'
                    )
                add(f'<p class="comment-actions">{"".join(actions)}</p><div class="slot"></div>')
        add("</article>")
        add(entry.tail_html)
    add("</ol>")
    html = "".join(out)
    return Markup(html)  # all text from people is escaped above  # nosec B704
