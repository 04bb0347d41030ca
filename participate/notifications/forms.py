"""The e-mail settings form: the switch for all e-mail and a choice per kind (kinds.py)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField

from participate.notifications import kinds as K


class SettingsForm(FlaskForm):
    email = BooleanField(
        "Send me e-mail",
        description="Untick to get no e-mail at all; your notifications stay on the site.",
    )

    def kind_fields(self, kinds: list[K.Kind]):
        return [self[f"kind_{k.key}"] for k in kinds]

    def changes(self) -> dict[str, str]:
        return {key: self[f"kind_{key}"].data for key in K.KINDS}


for _kind in K.KINDS.values():
    setattr(
        SettingsForm,
        f"kind_{_kind.key}",
        RadioField(
            f"When {_kind.label}",
            choices=[(d, K.DELIVERY_LABELS[d]) for d in _kind.choices],
            default=_kind.default,
        ),
    )
