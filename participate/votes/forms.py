"""Forms of the votes feature: parse and validate input, never write."""

from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateTimeLocalField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from participate.core.tally import MAX_OPTIONS
from participate.util import utcnow
from participate.votes.models import METHOD_LABELS, METHODS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"


def default_closing():
    return (utcnow() + timedelta(days=7)).replace(second=0, microsecond=0)


class MotionForm(FlaskForm):
    title = StringField(
        "Motion",
        validators=[
            DataRequired("Give the motion a title: the question members vote on."),
            Length(max=200),
        ],
        description="The question members vote on, e.g. 'Open the walk-in clinic on Saturdays'.",
    )
    description = TextAreaField(
        "Background (optional)",
        validators=[Optional(), Length(max=20_000)],
        description="Markdown. What the motion means, the evidence, what happens if it passes.",
    )
    method = RadioField(
        "Voting method",
        choices=[(m, METHOD_LABELS[m]) for m in METHODS],
        default="binary",
        validators=[DataRequired("Choose a voting method.")],
    )
    options = TextAreaField(
        "Options (ranked choice only)",
        validators=[Optional(), Length(max=20 * 210)],
        description="One option per line, 2 to 20. Members rank them; the order here breaks "
        "exact ties.",
    )
    kind = RadioField(
        "Kind of decision",
        choices=[
            ("ordinary", "Ordinary: the constitution's pass threshold"),
            ("governance", "Governance change: the higher governance threshold"),
        ],
        default="ordinary",
        validators=[DataRequired("Choose the kind of decision.")],
    )
    closes_at = DateTimeLocalField(
        "Voting closes (UTC)",
        format=DATETIME_FORMAT,
        default=default_closing,
        validators=[Optional()],
        description="Date and time in UTC. Needed to open voting now; a draft can do without.",
    )

    def option_list(self) -> list[str]:
        return [line.strip() for line in (self.options.data or "").splitlines() if line.strip()]


class OpenVotingForm(FlaskForm):
    closes_at = DateTimeLocalField(
        "Voting closes (UTC)",
        format=DATETIME_FORMAT,
        default=default_closing,
        validators=[DataRequired("Choose when voting closes (date and time, UTC).")],
    )


class ReceiptForm(FlaskForm):
    class Meta:
        csrf = False  # a read-only lookup sent with GET

    code = StringField(
        "Receipt code",
        validators=[DataRequired("Type the receipt code you were given."), Length(max=40)],
        description="16 letters and digits, e.g. ABCD-EFGH-JKLM-NPQR.",
    )


def ballot_from_form(form) -> dict:
    """The keyword arguments of ``cast_ballot`` from a submitted ballot form.

    Binary: ``choice``. Consent: ``choice`` consent/object and ``reason``. Ranked: one
    select per rank, ``rank-1`` .. ``rank-20``; blank ranks are skipped (those options
    tie last). The method is not needed here: the service checks the content against
    the motion and names what is wrong.
    """
    ranks = [f"rank-{i}" for i in range(1, MAX_OPTIONS + 1)]
    if any(key in form for key in ranks):
        return {"ranking": [v for v in ((form.get(k) or "").strip() for k in ranks) if v]}
    choice = (form.get("choice") or "").strip() or None
    if choice == "object":
        return {"choice": "object", "objection": form.get("reason") or ""}
    return {"choice": choice}
