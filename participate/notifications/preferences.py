"""Each person's e-mail settings: the switch for all e-mail (``User.email_notifications``)
and, per kind, at once, in the daily digest or not at all. One service behind the settings
page, the API and the unsubscribe link."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import sqlalchemy as sa

from participate.accounts.models import User
from participate.errors import DomainError
from participate.extensions import db
from participate.notifications import kinds as K
from participate.notifications.models import NotificationSetting
from participate.util import utcnow

CHUNK = 500


@dataclass(frozen=True)
class Choice:
    kind: K.Kind
    delivery: str

    @property
    def is_default(self) -> bool:
        return self.delivery == self.kind.default


@dataclass(frozen=True)
class Settings:
    email: bool  # any e-mail at all
    choices: list[Choice]

    def delivery(self, kind: str) -> str:
        return next(c.delivery for c in self.choices if c.kind.key == kind)


def _stored(user_id: int) -> dict[str, str]:
    return dict(
        db.session.execute(
            sa.select(NotificationSetting.kind, NotificationSetting.delivery).where(
                NotificationSetting.user_id == user_id
            )
        ).all()
    )


def settings_of(user: User) -> Settings:
    """The person's switch and their delivery for every kind (stored choice or default)."""
    stored = _stored(user.id)
    return Settings(
        email=bool(user.email_notifications),
        choices=[Choice(k, stored.get(k.key, k.default)) for k in K.KINDS.values()],
    )


def check_changes(changes: Mapping[str, object]) -> dict[str, str]:
    """``changes`` (kind -> delivery) checked against kinds.py: an unknown kind or a
    delivery the kind does not offer is refused, naming what is allowed."""
    checked: dict[str, str] = {}
    for kind, delivery in changes.items():
        known = K.KINDS.get(kind) if isinstance(kind, str) else None
        if known is None:
            raise DomainError(
                f"Unknown notification kind {kind!r}: see GET /api/v1/me/notification-settings "
                "for the kinds.",
                code="bad_kind",
                field="kinds",
            )
        if delivery not in known.choices:
            raise DomainError(
                f"For {kind!r} choose one of {', '.join(known.choices)} (a reminder or a direct "
                "e-mail cannot wait for the digest).",
                code="bad_delivery",
                field="kinds",
            )
        checked[kind] = str(delivery)
    return checked


def update_settings(
    user: User, *, email: bool | None = None, changes: Mapping[str, object] | None = None
) -> Settings:
    """Set the switch for all e-mail and/or the delivery of some kinds; a choice equal to
    the default is stored anyway (the person chose it), all in one transaction."""
    apply_settings(user, email=email, changes=changes)
    db.session.commit()
    return settings_of(user)


def apply_settings(
    user: User, *, email: bool | None = None, changes: Mapping[str, object] | None = None
) -> None:
    """``update_settings`` inside the caller's transaction (the demo seed uses it)."""
    checked = check_changes(changes or {})
    if email is not None:
        if not isinstance(email, bool):
            raise DomainError("'email' is true or false.", code="bad_email", field="email")
        user.email_notifications = email
    _store(user.id, checked)


def _store(user_id: int, checked: Mapping[str, str]) -> None:
    if not checked:
        return
    db.session.execute(
        sa.delete(NotificationSetting).where(
            NotificationSetting.user_id == user_id, NotificationSetting.kind.in_(list(checked))
        )
    )
    now = utcnow()
    db.session.execute(
        sa.insert(NotificationSetting),
        [
            {"user_id": user_id, "kind": kind, "delivery": delivery, "updated_at": now}
            for kind, delivery in sorted(checked.items())
        ],
    )


def turn_off(user: User, scope: str) -> str:
    """What an unsubscribe link does: ``*`` stops all e-mail, ``digest`` moves every kind now
    in the digest to no e-mail, a kind stops that kind. Returns a sentence saying what
    changed. Commits."""
    if scope == K.ALL:
        user.email_notifications = False
        said = "You will get no more e-mail from us. Notifications stay on the site."
    elif scope == K.DIGEST_SCOPE:
        current = settings_of(user)
        _store(user.id, {c.kind.key: K.OFF for c in current.choices if c.delivery == K.DIGEST})
        said = "You will get no more daily digests. Notifications stay on the site."
    else:
        kind = K.KINDS[scope]
        _store(user.id, {kind.key: K.OFF})
        said = f"You will get no more e-mail when {kind.label}. It stays on the site."
    db.session.commit()
    return said


def recipients(
    user_ids: Iterable[int], kind: str, wanted: str, *, about_them: bool = False
) -> list[tuple[int, str]]:
    """(id, address) of the people among ``user_ids`` who keep e-mail on and whose delivery
    for ``kind`` is ``wanted``: one statement per 500 people."""
    ids = sorted(set(user_ids))
    default = K.default_for(kind, about_them=about_them)
    choice = (
        sa.select(NotificationSetting.delivery)
        .where(NotificationSetting.user_id == User.id, NotificationSetting.kind == kind)
        .scalar_subquery()
    )
    found: list[tuple[int, str]] = []
    for start in range(0, len(ids), CHUNK):
        found.extend(
            db.session.execute(
                sa.select(User.id, User.email)
                .where(
                    User.id.in_(ids[start : start + CHUNK]),
                    User.email_notifications.is_(True),
                    sa.func.coalesce(choice, default) == wanted,
                )
                .order_by(User.id)
            ).all()
        )
    return found


def deliveries_for(user_ids: Iterable[int]) -> dict[int, dict[str, str]]:
    """Every stored choice of these people (person -> kind -> delivery)."""
    ids = sorted(set(user_ids))
    found: dict[int, dict[str, str]] = {uid: {} for uid in ids}
    for start in range(0, len(ids), CHUNK):
        for uid, kind, delivery in db.session.execute(
            sa.select(
                NotificationSetting.user_id, NotificationSetting.kind, NotificationSetting.delivery
            ).where(NotificationSetting.user_id.in_(ids[start : start + CHUNK]))
        ):
            found[uid][kind] = delivery
    return found
