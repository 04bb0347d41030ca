"""Glue between DomainError and WTForms: a refusal lands on the field it names."""

from __future__ import annotations

from flask import flash

from participate.errors import DomainError


def apply_error(form, error: DomainError) -> None:
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = list(field.errors) + [error.message]
    else:
        form.form_errors.append(error.message)
        flash(error.message, "error")
