"""Forms of the upward feature: parse input, never write. The rules (adopted only, councils
above only, the subsidiarity statement, answers, positions, dates) are the services' refusals,
mapped onto these fields, so a form and the API say the same thing."""

from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from participate.core.cascade import ANSWER_LABELS, STANCE_LABELS
from participate.util import utcnow


class MultiCheckboxField(SelectMultipleField):
    """Checkboxes; which values are allowed is the service's rule, not the form's."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()

    def pre_validate(self, form) -> None:
        pass


class LooseSelectField(SelectField):
    """A select whose allowed values the service checks (with a message that says why)."""

    def pre_validate(self, form) -> None:
        pass


class LooseRadioField(RadioField):
    """Radio buttons whose allowed values the service checks (its message says why)."""

    def pre_validate(self, form) -> None:
        pass


class ForwardForm(FlaskForm):
    targets = MultiCheckboxField(
        "Forward to",
        description="The councils above yours in the forum network, those directly above "
        "first. Choose one or more; a council further up skips the levels between.",
    )
    subsidiarity = TextAreaField(
        "Subsidiarity statement",
        validators=[Length(max=5000)],
        description="Why this cannot be settled at your council's level: what only the council "
        "above can change. Required; the parent council reads it first.",
    )
    motion = LooseSelectField(
        "Deciding motion",
        description="The motion whose tally by constituency travels with the proposal. Found "
        "automatically when the proposal was decided in a round.",
        default="",
    )


class AnswerForm(FlaskForm):
    kind = LooseRadioField(
        "Answer",
        choices=[(k, label) for k, label in ANSWER_LABELS.items()],
        validators=[Optional()],
    )
    reasons = TextAreaField(
        "Reasons",
        validators=[Length(max=20_000)],
        description="Markdown. Every council that sent these proposals reads this, and its "
        "members are told.",
    )
    referred_to = LooseSelectField("Refer to", default="")


class SplitForm(FlaskForm):
    forward = HiddenField()


class MergeForm(FlaskForm):
    other = LooseSelectField("Merge this cluster with", default="")


def default_closing():
    return (utcnow() + timedelta(days=42)).replace(hour=17, minute=0, second=0, microsecond=0)


class ConsultationForm(FlaskForm):
    title = StringField("Draft requirement", validators=[Length(max=200)])
    body = TextAreaField(
        "Text of the draft requirement",
        validators=[Length(max=50_000)],
        description="Markdown. What the requirement says, why, and what it would change for "
        "councils and the people they serve.",
    )
    closes_at = DateTimeLocalField(
        "Consultation closes (UTC)",
        format="%Y-%m-%dT%H:%M",
        default=default_closing,
        validators=[Optional()],
        description="At least one day ahead, so councils can take the draft into a round.",
    )


class PositionForm(FlaskForm):
    stance = LooseRadioField(
        "The council's position",
        choices=[(s, label) for s, label in STANCE_LABELS.items()],
        validators=[Optional()],
    )
    text = TextAreaField(
        "Text",
        validators=[Length(max=20_000)],
        description="Markdown. For an amendment, the change the council proposes; for an "
        "opposition, its reasons. Optional for support.",
    )
    motion = LooseSelectField(
        "Deciding motion",
        description="The council's closed motion that decided this position: its tally and "
        "turnout by constituency go with it and weigh it in the results.",
        default="",
    )


class AdoptForm(FlaskForm):
    note = TextAreaField(
        "Adoption note",
        validators=[Length(max=20_000)],
        description="Markdown. How the councils' positions shaped the final requirement.",
    )


class TakeUpForm(FlaskForm):
    pass
