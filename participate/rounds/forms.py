"""Forms of the rounds feature: parse and validate input, never write."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from participate.core.phases import SCHEDULED_PHASES
from participate.params import MAX_ID
from participate.rounds.models import PHASE_LABELS
from participate.util import utcnow
from participate.votes.models import METHOD_LABELS

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"
# Default lengths of the phases, in days, for a new round's schedule.
DEFAULT_DAYS = {"briefing": 7, "discussion": 14, "refinement": 7, "voting": 7, "outcome": 7}


def default_schedule(now: datetime | None = None) -> dict[str, datetime]:
    moment = (now or utcnow()).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    ends = {}
    for phase in SCHEDULED_PHASES:
        moment = moment + timedelta(days=DEFAULT_DAYS[phase])
        ends[phase] = moment.replace(hour=17)
    return ends


def _end_field(phase: str) -> DateTimeLocalField:
    return DateTimeLocalField(
        f"{PHASE_LABELS[phase]} ends (UTC)",
        format=DATETIME_FORMAT,
        validators=[DataRequired(f"Give the date and time the {phase} phase ends (UTC).")],
    )


class RoundForm(FlaskForm):
    title = StringField(
        "Title",
        validators=[DataRequired("Give the round a title."), Length(max=200)],
        description="What the round is about, e.g. 'Winter pressures on urgent care'.",
    )
    purpose = TextAreaField(
        "Purpose",
        validators=[DataRequired("Say what the round is for."), Length(max=20_000)],
        description="Markdown. What the council is to decide, and why now.",
    )
    briefing_ends_at = _end_field("briefing")
    discussion_ends_at = _end_field("discussion")
    refinement_ends_at = _end_field("refinement")
    voting_ends_at = _end_field("voting")
    outcome_ends_at = _end_field("outcome")

    def schedule(self) -> dict[str, datetime]:
        return {
            phase: getattr(self, f"{phase}_ends_at").data
            for phase in SCHEDULED_PHASES
            if getattr(self, f"{phase}_ends_at").data is not None
        }


def agenda_from_form(form) -> list[tuple[str, int]]:
    """The agenda in order from ``order-<kind>-<id>`` number inputs (blank: not on it).

    Equal numbers keep the page's order; anything that is not a whole number is refused by
    the caller with a message naming the field.
    """
    chosen: list[tuple[float, int, str, int]] = []
    for index, (key, value) in enumerate(form.items()):
        if not key.startswith("order-") or not (value or "").strip():
            continue
        _prefix, kind, subject = key.split("-", 2)
        if kind not in ("proposal", "petition", "consultation") or not subject.isdigit():
            continue
        if not subject.isascii() or len(subject) > 10 or int(subject) > MAX_ID:
            continue  # no such item ("²" is a digit to isdigit, not to int; a big one overflows)
        try:
            rank = float(value)
        except ValueError:
            raise ValueError(
                f"The position of {kind} {subject} must be a number (1 for the first item)."
            ) from None
        chosen.append((rank, index, kind, int(subject)))
    chosen.sort()
    return [(kind, subject) for _rank, _index, kind, subject in chosen]


class AdvanceForm(FlaskForm):
    # The phase the clerk saw: if the round moved meanwhile, the service says so.
    from_phase = HiddenField()


class EvidenceForm(FlaskForm):
    evidence = TextAreaField(
        "Evidence pack",
        validators=[DataRequired("Write the evidence pack's text."), Length(max=50_000)],
        description="Markdown. The facts, figures and options members need before the discussion.",
    )


class LinkForm(FlaskForm):
    title = StringField(
        "Link title", validators=[DataRequired("Give the link a title."), Length(max=200)]
    )
    url = StringField(
        "Web address",
        validators=[DataRequired("Give the web address."), Length(max=2000)],
        description="Starting with https://",
    )


class AttachmentForm(FlaskForm):
    file = FileField(
        "File",
        description="PDF, PNG or JPEG, up to 10 MB. The content is checked, not just the name.",
    )


class QuestionForm(FlaskForm):
    body = TextAreaField(
        "Your question",
        validators=[DataRequired("Write your question."), Length(max=3000)],
        description="The clerk answers in public, on this page.",
    )
    item_id = SelectField("About", choices=[], validate_choice=False, validators=[Optional()])


class AnswerForm(FlaskForm):
    answer = TextAreaField(
        "Answer", validators=[DataRequired("Write the answer."), Length(max=5000)]
    )


class MergeForm(FlaskForm):
    source = SelectField(
        "Merge this item",
        choices=[],
        validate_choice=False,
        validators=[DataRequired("Choose the duplicate item.")],
    )
    target = SelectField(
        "into this item",
        choices=[],
        validate_choice=False,
        validators=[DataRequired("Choose the item it duplicates.")],
    )
    reason = TextAreaField(
        "Why they are duplicates",
        validators=[DataRequired("Say why the items are duplicates."), Length(max=2000)],
    )


class MethodForm(FlaskForm):
    method = RadioField(
        "Voting method",
        choices=[(m, METHOD_LABELS[m]) for m in ("binary", "schulze", "consent")],
        default="binary",
        validators=[DataRequired("Choose a voting method.")],
    )
    options = TextAreaField(
        "Options (ranked choice only)",
        validators=[Optional(), Length(max=20 * 210)],
        description="One per line, 2 to 20.",
    )


class AgendaAddForm(FlaskForm):
    subject = SelectField(
        "Add to the agenda",
        choices=[],
        validate_choice=False,
        validators=[DataRequired("Choose an item to add.")],
    )


class OutcomeForm(FlaskForm):
    decision = RadioField(
        "Decision",
        choices=[
            ("adopted", "Adopted"),
            ("rejected", "Rejected"),
            ("deferred", "Deferred to a later round"),
        ],
        validators=[DataRequired("Choose the decision.")],
    )
    reasons = TextAreaField(
        "Reasons",
        validators=[DataRequired("Give the reasons for the decision."), Length(max=5000)],
        description="At least 20 characters. Published in the minutes (and to a petition's "
        "signers).",
    )
    minority_report = TextAreaField(
        "Minority report",
        validators=[Optional(), Length(max=5000)],
        description="Pre-filled from the constituencies whose majority was on the losing side. "
        "Edit it to record their view fairly.",
    )


class MinutesNoteForm(FlaskForm):
    note = TextAreaField(
        "Note on the republished minutes",
        validators=[DataRequired("Write the note."), Length(max=5000)],
    )
