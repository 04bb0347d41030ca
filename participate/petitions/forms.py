"""Petition forms: parse and validate input; the services decide and write."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    Form,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from participate.core.petitions import KINDS
from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS
from participate.petitions.models import RESPONSE_DECISIONS
from participate.petitions.standards import STANDARDS

KIND_CHOICES = [
    ("cooperative_governance", "Co-operative governance — member ownership, an elected board"),
    ("early_scrutiny", "Early scrutiny — an early inspection or local scrutiny of the service"),
    ("constitution_change", "Constitution change — weights, quorum, thresholds, promises"),
]
assert [k for k, _ in KIND_CHOICES] == list(KINDS)

SETTING_FIELDS = (
    "quorum",
    "threshold",
    "governance_threshold",
    "min_constituencies",
    "concurrent_majority",
    "petition_minimum",
    "petition_rate",
    "petition_sponsors",
    "petition_response_days",
)


def _number(label: str, description: str) -> StringField:
    return StringField(
        label,
        validators=[Optional(), Length(max=20)],
        description=description,
        render_kw={"inputmode": "decimal", "autocomplete": "off"},
    )


class PetitionForm(FlaskForm):
    council = SelectField("Council", validators=[DataRequired("Choose the council you petition.")])
    kind = RadioField(
        "What kind of change do you ask for?",
        choices=KIND_CHOICES,
        validators=[DataRequired("Choose the kind of petition.")],
    )
    title = StringField(
        "Title",
        validators=[DataRequired("Give your petition a title."), Length(max=200)],
        description="One sentence that says what you ask for (10 to 200 characters).",
    )
    change_text = TextAreaField(
        "What should change",
        validators=[DataRequired("Say what should change."), Length(max=5000)],
        description="Markdown is allowed.",
    )
    reason_text = TextAreaField(
        "Why",
        validators=[DataRequired("Say why it should change."), Length(max=5000)],
        description="The evidence and experience behind the request.",
    )
    weight_citizen = _number("Citizens", "Weight: 0 or more")
    weight_employee = _number("Employees", "Weight: 0 or more")
    weight_leader = _number("Service leaders", "Weight: 0 or more")
    weight_elected = _number("Elected members", "Weight: 0 or more")
    weight_partner = _number("Partner organisations", "Weight: 0 or more")
    quorum = _number("Quorum", "Share of a constituency that must vote for it to count, 0 to 1")
    threshold = _number("Pass threshold", "Weighted support a motion must exceed, 0 to below 1")
    governance_threshold = _number(
        "Threshold for governance changes", "For constitution changes, 0 to below 1"
    )
    min_constituencies = _number("Constituencies that must count", "A whole number from 1 to 5")
    concurrent_majority = SelectField(
        "Majority needed in every constituency",
        choices=[("", "Leave unchanged"), ("yes", "Yes"), ("no", "No")],
        validators=[Optional()],
    )
    petition_minimum = _number("Petition threshold: minimum", "A whole number, 1 or more")
    petition_rate = _number("Petition threshold: share of the population", "0 to 1, e.g. 0.01")
    petition_sponsors = _number("Sponsors a petition needs", "A whole number from 0 to 100")
    petition_response_days = _number(
        "Days the council has to answer", "A whole number from 1 to 365"
    )

    def draft(self) -> dict:
        """The draft as the drafting services take it (start_petition, edit_petition)."""
        return {
            "kind": self.kind.data,
            "title": self.title.data,
            "change_text": self.change_text.data,
            "reason_text": self.reason_text.data,
            "proposed_settings": self.proposed_settings(),
        }

    def proposed_settings(self) -> dict:
        """The settings the person filled in (blank means unchanged)."""
        settings: dict = {}
        weights = {}
        for c in CONSTITUENCIES:
            value = (getattr(self, f"weight_{c}").data or "").strip()
            if value:
                weights[c] = value
        if weights:
            settings["weights"] = weights
        for name in SETTING_FIELDS:
            value = getattr(self, name).data
            if name == "concurrent_majority":
                if value in ("yes", "no"):
                    settings[name] = value == "yes"
                continue
            value = (value or "").strip()
            if value:
                settings[name] = value
        return settings

    def field_for_setting(self, key: str):
        """The form field that shows a problem with setting ``key`` (``weights.citizen``...)."""
        if key.startswith("weights."):
            return getattr(self, f"weight_{key.split('.', 1)[1]}", None)
        if key in ("weights", "settings"):
            return self.weight_citizen
        return getattr(self, key, None)


WEIGHT_FIELDS = [(c, f"weight_{c}", CONSTITUENCY_LABELS[c]) for c in CONSTITUENCIES]


class SignForm(Form):
    """Signing: CSRF is checked for every POST by CSRFProtect, so a plain (cheaper) Form."""

    declaration = RadioField(
        "I declare that I",
        choices=[
            ("live", "live in this place (signs as a citizen)"),
            ("work", "work for this service (signs as an employee)"),
            ("member", "am a member of this council (signs in my constituency)"),
        ],
        validators=[
            DataRequired("Choose what you declare: you live here or work for the service.")
        ],
    )
    place = SelectField("Where", validators=[Optional()], validate_choice=False)
    service = SelectField(
        "The service you work for", validators=[Optional()], validate_choice=False
    )


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (invite sponsors, sponsor, publish)."""


class RejectForm(FlaskForm):
    standard = SelectField(
        "The standard it does not meet",
        choices=[("", "Choose a standard")]
        + [(c, f"{c}: {s.title}") for c, s in STANDARDS.items()],
        validators=[DataRequired("Choose the standard the petition does not meet.")],
    )
    reason = TextAreaField(
        "Public reason",
        validators=[DataRequired("Give a public reason."), Length(max=2000)],
        description="Published with the petition: say what the author could do instead.",
    )


class ResponseForm(FlaskForm):
    decision = RadioField(
        "The council's decision",
        choices=[
            (d, label)
            for d, label in zip(
                RESPONSE_DECISIONS, ("Adopted", "Partly adopted", "Not adopted"), strict=True
            )
        ],
        validators=[DataRequired("Choose the council's decision.")],
    )
    response_text = TextAreaField(
        "The council's response",
        validators=[DataRequired("Write the council's response."), Length(max=10000)],
        description="Published on the petition and sent to every signer. Markdown is allowed.",
    )


class InvalidateOneForm(FlaskForm):
    signature_id = HiddenField(validators=[DataRequired()])
    reason = StringField("Reason", validators=[Length(max=500)])


class InvalidateRuleForm(FlaskForm):
    email_domain = StringField(
        "E-mail domain",
        validators=[Optional(), Length(max=120)],
        description="Every signature from addresses at this domain, e.g. example.org",
    )
    date_from = DateField("Signed from (date)", validators=[Optional()])
    date_to = DateField("Signed until (date, inclusive)", validators=[Optional()])
    place = SelectField("Declared place", validators=[Optional()], validate_choice=False)
    service = SelectField("Declared service", validators=[Optional()], validate_choice=False)
    declaration = SelectField(
        "Declaration",
        choices=[
            ("", "Any declaration"),
            ("live", "Lives in the place (citizen)"),
            ("work", "Works for the service (employee)"),
            ("member", "Member of the council"),
        ],
        validators=[Optional()],
    )
    reason = StringField(
        "Reason",
        validators=[Length(max=500)],
        description="Recorded in the public audit log.",
    )


class ApplyChangeForm(FlaskForm):
    """Apply a passed change. The motion is the one that decided the petition; the page
    sends it back (hidden) so that the clerk applies the motion they were shown."""

    motion_id = IntegerField(
        "The motion that decided the petition",
        validators=[Optional(), NumberRange(min=1, message="A motion number is 1 or more.")],
    )
