"""Forms of proposal threads. They parse input; the rules (limits, stances, who may) are the
services' (so the page and the API refuse in the same words). The length caps here only stop
absurd posts early."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField

from participate.core.proposals import BODY_LIMIT
from participate.proposals.discussion import COMMENT_LIMIT

STANCE_CHOICES = [
    ("for", "For"),
    ("against", "Against"),
    ("neutral", "Neutral"),
    ("question", "Question"),
]


class ProposalForm(FlaskForm):
    title = StringField(
        "Title",
        description="What you propose, in one line (up to 200 characters).",
        render_kw={"maxlength": 400, "autocomplete": "off"},
    )
    body = TextAreaField(
        "Proposal",
        description=f"What should change and why. Markdown works: **bold**, lists, links. "
        f"Up to {BODY_LIMIT:,} characters.",
        render_kw={"rows": 12},
    )
    themes = StringField(
        "Themes (optional)",
        description="Up to 8, separated by commas, e.g. mental health, waiting times.",
        render_kw={"autocomplete": "off"},
    )
    note = StringField(
        "What changed (optional)",
        description="A short note shown in the version history.",
        render_kw={"maxlength": 500},
    )


class CommentForm(FlaskForm):
    stance = RadioField("Your stance", choices=STANCE_CHOICES, default=None)  # the person chooses
    body = TextAreaField(
        "Your comment",
        description=f"Markdown works. Up to {COMMENT_LIMIT:,} characters.",
        render_kw={"rows": 4},
    )
    parent_id = HiddenField()


class AmendmentForm(FlaskForm):
    body = TextAreaField(
        "Amended text",
        description="The whole proposal text as you would have it; the change is shown as a diff.",
        render_kw={"rows": 14},
    )
    reason = TextAreaField(
        "Why this change",
        description="The author and the council read this.",
        render_kw={"rows": 3},
    )


class ResolveForm(FlaskForm):
    reason = TextAreaField("Reason", render_kw={"rows": 2})


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", render_kw={"rows": 3})


class AppealForm(FlaskForm):
    appeal = TextAreaField(
        "Why the content should be shown again",
        description="You can appeal once; the clerk's decision is final and public.",
        render_kw={"rows": 4},
    )
