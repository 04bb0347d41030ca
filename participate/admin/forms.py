from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional

from participate.councils.forms import CONSTITUENCY_CHOICES
from participate.params import MAX_ID
from participate.wording import LINK_KINDS


class ServiceForm(FlaskForm):
    slug = StringField(
        "Slug", validators=[DataRequired(), Length(max=80)], description="e.g. health"
    )
    name = StringField(
        "Name", validators=[DataRequired(), Length(max=160)], description="e.g. Health and care"
    )
    description = TextAreaField("Description", validators=[Optional(), Length(max=2000)])


class PlaceForm(FlaskForm):
    slug = StringField("Slug", validators=[DataRequired(), Length(max=80)])
    name = StringField("Name", validators=[DataRequired(), Length(max=160)])
    level = SelectField(
        "Level",
        choices=[("nation", "Nation"), ("region", "Region"), ("local", "Local authority")],
        description="A local place comes with its place forum, forum-<slug>; "
        "the place's service councils meet in it.",
    )
    parent = SelectField("Parent place", choices=[], validate_choice=False, validators=[Optional()])
    population = IntegerField("Population", validators=[Optional(), NumberRange(min=0, max=MAX_ID)])


class CouncilForm(FlaskForm):
    slug = StringField(
        "Slug", validators=[DataRequired(), Length(max=80)], description="e.g. health-manchester"
    )
    service = SelectField(
        "Service",
        choices=[],
        validate_choice=False,
        description="Leave as 'Place forum' for the cross-service forum of the place.",
    )
    place = SelectField("Place", choices=[], validate_choice=False, validators=[DataRequired()])
    name = StringField("Name (optional)", validators=[Optional(), Length(max=200)])
    remit = TextAreaField("Remit (optional)", validators=[Optional(), Length(max=4000)])


class LinkForm(FlaskForm):
    src = SelectField(
        "From (child council)", choices=[], validate_choice=False, validators=[DataRequired()]
    )
    dst = SelectField(
        "To (parent council)", choices=[], validate_choice=False, validators=[DataRequired()]
    )
    kind = SelectField("Kind", choices=list(LINK_KINDS.items()))


class AppointForm(FlaskForm):
    email = EmailField("Person's e-mail", validators=[DataRequired(), Email()])
    council = SelectField("Council", choices=[], validate_choice=False, validators=[DataRequired()])
    role = SelectField(
        "Role", choices=[("clerk", "Clerk"), ("minister", "Minister (national councils)")]
    )
    constituency = SelectField("Constituency", choices=CONSTITUENCY_CHOICES, default="leader")


class EndAppointmentForm(FlaskForm):
    email = EmailField("Person's e-mail", validators=[DataRequired(), Email()])
    council = SelectField("Council", choices=[], validate_choice=False, validators=[DataRequired()])


class ImportForm(FlaskForm):
    file = FileField("Structure file (YAML or JSON)", validators=[FileRequired()])
