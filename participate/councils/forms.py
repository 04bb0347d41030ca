from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS

CONSTITUENCY_CHOICES = [(c, CONSTITUENCY_LABELS[c]) for c in CONSTITUENCIES]


class JoinForm(FlaskForm):
    constituency = RadioField(
        "I take part as one of",
        choices=CONSTITUENCY_CHOICES,
        validators=[DataRequired("Choose the constituency you belong to.")],
    )
    statement = TextAreaField(
        "Why you want to join (optional)",
        validators=[Optional(), Length(max=1000)],
        description="The clerk reads this with your request.",
    )


class DecisionForm(FlaskForm):
    membership_id = HiddenField(validators=[DataRequired()])
    reason = StringField(
        "Reason",
        validators=[Optional(), Length(max=500)],
        description="Required when you decline or suspend; the person sees it.",
    )


class ConstitutionForm(FlaskForm):
    purpose = TextAreaField("Purpose", validators=[DataRequired(), Length(max=5000)])
    values_text = TextAreaField("Values", validators=[DataRequired(), Length(max=5000)])
    promises = TextAreaField("Promises to citizens", validators=[DataRequired(), Length(max=5000)])
    reason = StringField(
        "Why this change",
        validators=[DataRequired(), Length(max=500)],
        description="Published with the new version.",
    )
