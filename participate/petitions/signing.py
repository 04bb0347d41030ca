"""Signing a petition (the hot path) and a clerk invalidating signatures.

A signature costs one INSERT: it checks the petition (status, deadline), the account
(a current session, a confirmed e-mail) and the place in SQL, and returns what the answer
and the threshold check need; the unique constraint on (petition_id, user_id) is what
refuses a second signature, also from two requests at once. When it inserts nothing, the
reason is read afresh, so every refusal names its rule.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from participate.accounts.models import User
from participate.audit.services import record_event
from participate.core import petition_counts as pc
from participate.core import petitions as rules
from participate.core.rules import RuleViolation
from participate.councils.access import refusal, role_in
from participate.councils.models import Council, Place, Service
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.petitions import counters
from participate.petitions.conflicts import check_no_conflict
from participate.petitions.models import Petition, Signature
from participate.util import utcnow

# ---------------------------------------------------------------- the facts that do not change


@dataclass(frozen=True)
class PetitionFacts:
    council_id: int
    home_place_id: int
    home_place_slug: str
    # slug -> (id, name) of the places a signer may declare: the local places within the
    # area the council serves (its own place when it is local).
    places: dict[str, tuple[int, str]]
    # slug -> (id, name) of the services an employee may declare: the council's service, or
    # every service for a place forum (which spans them).
    services: dict[str, tuple[int, str]]


def _local_places_query(home_id: int):
    """The local places within a place: itself if local, its children, its grandchildren."""
    middle = sa.select(Place.id).where(Place.parent_id == home_id)
    return (
        sa.select(Place)
        .where(
            Place.level == "local",
            sa.or_(
                Place.id == home_id,
                Place.parent_id == home_id,
                Place.parent_id.in_(middle.scalar_subquery()),
            ),
        )
        .order_by(Place.name)
    )


def _services_query(council: Council):
    query = sa.select(Service).order_by(Service.name)
    if council.service_id is not None:
        query = query.where(Service.id == council.service_id)
    return query


_FACTS: dict[tuple[int, int], tuple[float, PetitionFacts]] = {}
FACTS_TTL = 300.0


def petition_facts(council_id: int, place_id: int) -> PetitionFacts:
    """A petition's council and places, cached per process (a council's place does not move)."""
    key = (council_id, place_id)
    cached = _FACTS.get(key)
    if cached is not None and time.monotonic() - cached[0] < FACTS_TTL:
        return cached[1]
    council = db.session.get(Council, council_id)
    assert council is not None
    home = council.place
    facts = PetitionFacts(
        council_id=council_id,
        home_place_id=home.id,
        home_place_slug=home.slug,
        places={p.slug: (p.id, p.name) for p in db.session.scalars(_local_places_query(home.id))},
        services={s.slug: (s.id, s.name) for s in db.session.scalars(_services_query(council))},
    )
    if len(_FACTS) > 10_000:
        _FACTS.clear()
    _FACTS[key] = (time.monotonic(), facts)
    return facts


def signing_places(petition: Petition) -> list[Place]:
    """The places a signer may declare: the local places within the area the council
    serves, by name."""
    return list(db.session.scalars(_local_places_query(petition.council.place_id)))


def signing_services(petition: Petition) -> list[Service]:
    """The services an employee may declare: the council's, or every one for a place forum."""
    return list(db.session.scalars(_services_query(petition.council)))


def _facts_of(petition: Petition) -> PetitionFacts:
    return petition_facts(petition.council_id, petition.council.place_id)


def place_choices(petition: Petition) -> list[tuple[str, str]]:
    """(slug, name) of `signing_places`, from the per-process cache."""
    return [(slug, name) for slug, (_id, name) in _facts_of(petition).places.items()]


def service_choices(petition: Petition) -> list[tuple[str, str]]:
    """(slug, name) of `signing_services`, from the per-process cache."""
    return [(slug, name) for slug, (_id, name) in _facts_of(petition).services.items()]


# ---------------------------------------------------------------- signing

_MEMBER = sa.text(
    "SELECT memberships.constituency FROM memberships "
    "JOIN petitions ON petitions.council_id = memberships.council_id "
    "WHERE petitions.id = :pid AND memberships.user_id = :uid AND memberships.status = 'active'"
)
# PostgreSQL: the petition's shared signing lock, held until commit (counters.py).
_LOCK = sa.text("SELECT pg_advisory_xact_lock_shared(:ns, :pid)")

# A signature is this one statement. It inserts only if everything holds, as it is now: the
# petition takes signatures (status and deadline), the signer's (id, session version) is a
# current session of an account with a confirmed e-mail (a password change ends old
# sessions, also one that changes between the sign-in check and this write), the declared
# place is a local place within the area the council serves (a member who names none signs
# for the council's own place) and the declared service, if any, is one the council covers.
# It returns what the answer and the threshold check need. When it inserts nothing, ``_refusal`` finds out why; the unique
# constraint on (petition_id, user_id) refuses a second signature, also from two requests
# at once.
_INSERT = sa.text(
    "INSERT INTO signatures "
    "(petition_id, user_id, constituency, declaration, place_id, service_id, created_at, "
    "invalidation_reason) "
    "SELECT petitions.id, :uid, :constituency, :declaration, places.id, services.id, :now, '' "
    "FROM petitions JOIN councils ON councils.id = petitions.council_id "
    "JOIN places ON ((CAST(:place AS VARCHAR) IS NULL AND :declaration = 'member' "
    "AND places.id = councils.place_id) "
    "OR (places.slug = :place AND places.level = 'local' "
    "AND (places.id = councils.place_id OR places.parent_id = councils.place_id "
    "OR places.parent_id IN (SELECT mid.id FROM places AS mid "
    "WHERE mid.parent_id = councils.place_id)))) "
    "LEFT JOIN services ON services.slug = :service "
    "AND (councils.service_id IS NULL OR services.id = councils.service_id) "
    "WHERE petitions.id = :pid AND petitions.status IN ('open', 'threshold_reached') "
    "AND petitions.signing_deadline > :now "
    "AND (CAST(:service AS VARCHAR) IS NULL OR services.id IS NOT NULL) "
    "AND EXISTS (SELECT 1 FROM users WHERE id = :uid AND session_version = :version "
    "AND email_confirmed_at IS NOT NULL) "
    "RETURNING id, "
    "(SELECT slug FROM places WHERE places.id = signatures.place_id), "
    "(SELECT name FROM places WHERE places.id = signatures.place_id), "
    "(SELECT name FROM services WHERE services.id = signatures.service_id), "
    "(SELECT status FROM petitions WHERE petitions.id = :pid), "
    "(SELECT threshold FROM petitions WHERE petitions.id = :pid), "
    "(SELECT count FROM petition_counters WHERE petition_counters.petition_id = :pid)"
).bindparams(
    # stored as the ORM stores Signature.created_at (ISO text on SQLite, timestamp elsewhere)
    sa.bindparam("now", type_=sa.DateTime()),
    sa.bindparam("place", type_=sa.String()),
    sa.bindparam("service", type_=sa.String()),
)

_USERS = User.__table__.c
_ACCOUNT = sa.select(_USERS.session_version, _USERS.email_confirmed_at).where(
    _USERS.id == sa.bindparam("uid")
)
_P = Petition.__table__.c
_STATUS = sa.select(_P.status, _P.signing_deadline).where(_P.id == sa.bindparam("pid"))

SIGN_IN = "Sign in to sign this petition."


@dataclass
class Signed:
    signature_id: int
    petition_id: int
    constituency: str
    place_slug: str
    place_name: str
    created_at: datetime
    declaration: str = "live"
    service_slug: str | None = None
    service_name: str | None = None


def _is_duplicate(message: str) -> bool:
    return (
        "uq_signatures_petition_id_user_id" in message  # PostgreSQL names the constraint
        or "signatures.petition_id, signatures.user_id" in message  # SQLite names the columns
    )


def _signer(user) -> tuple[int, int]:
    """(id, session version) of a signed-in account; a visitor is asked to sign in."""
    if user is None or not getattr(user, "is_authenticated", False):
        raise DomainError(SIGN_IN, code="sign_in_required", status=401)
    return user.id, user.session_version or 1


def _confirmed_account(user_id: int, version: int) -> bool:
    """Whether the account's e-mail is confirmed; refuses a stale session (sign in again)."""
    row = db.session.execute(_ACCOUNT, {"uid": user_id}).first()
    if row is None or row.session_version != version:
        raise DomainError(SIGN_IN, code="sign_in_required", status=401)
    return row.email_confirmed_at is not None


def _refusal(
    signer, petition_id, *, declaration, member_constituency, now, place=None, service=None
) -> DomainError:
    """Why a signature was not given, read afresh (the refusal paths are not hot): the
    session, then the rules in ``check_can_sign``'s order, then what the declaration names
    (a place, a service) and whether the council's area and services hold them. A petition
    found past its deadline is closed on the way (there is no scheduler)."""
    confirmed = _confirmed_account(*signer)
    row = db.session.execute(_STATUS, {"pid": petition_id}).first()
    if row is None:
        return NotFound("There is no such petition.")
    try:
        rules.check_can_sign(
            row.status,
            email_confirmed=confirmed,
            declaration=declaration,
            member_constituency=member_constituency,
            deadline=row.signing_deadline,
            now=now,
        )
        rules.check_declared(declaration, place=place, service=service)
    except RuleViolation as violation:
        if violation.code == "deadline_passed" and row.status == "open":
            close_if_due(petition_id, now=now)
        return refusal(violation)
    facts = _facts_of_petition(petition_id)
    if place is not None and place not in facts.places:
        return DomainError(
            "Choose a local place within the area the council serves: "
            + ", ".join(name for _id, name in facts.places.values())
            + ".",
            code="place_invalid",
            field="place",
        )
    if service is not None and service not in facts.services:
        return DomainError(
            "Choose the service you work for among those the council covers: "
            + ", ".join(name for _id, name in facts.services.values())
            + ".",
            code="service_invalid",
            field="service",
        )
    # Nothing is wrong now: the petition changed in between (its deadline passed).
    return DomainError(
        "The signing deadline of this petition has passed.", code="deadline_passed", status=409
    )


def _facts_of_petition(petition_id: int) -> PetitionFacts:
    petition = db.session.get(Petition, petition_id)
    assert petition is not None
    return _facts_of(petition)


def sign_petition(
    user,
    petition_id: int,
    *,
    declaration: str,
    place: str | None = None,
    service: str | None = None,
    now: datetime | None = None,
) -> Signed:
    """Sign once, as an eligible person; refuse with a clear message otherwise (nothing written).

    ``declaration`` is ``live`` (recorded as citizen), ``work`` (employee) or ``member``
    (the constituency of one's active membership of the council). Nothing is assumed: who
    lives here names ``place``, the slug of a local place within the area the council
    serves; who works for the service names ``service`` (its slug) and ``place``; a member
    may leave both out (recorded for the council's place). The declaration is stored with
    the signature.

    One short transaction on the session's connection: (on PostgreSQL the shared signing
    lock, then) the one INSERT that checks everything, then COMMIT. A refusal rolls back
    what it began and writes nothing.
    """
    signer = _signer(user)
    user_id, version = signer
    now = now or utcnow()
    session = db.session
    connection = session.connection()  # the request's own, in the session's transaction
    place = place or None
    service = (service or None) if declaration == "work" else None
    refused = dict(declaration=declaration, now=now, place=place, service=service)
    member_constituency = None
    if declaration == "member":
        member_constituency = connection.scalar(_MEMBER, {"uid": user_id, "pid": petition_id})
    refused["member_constituency"] = member_constituency
    try:
        constituency = rules.declared_constituency(declaration, member_constituency)
        rules.check_declared(declaration, place=place, service=service)
    except RuleViolation:  # _refusal names it, after the rules check_can_sign puts first
        raise _refusal(signer, petition_id, **refused) from None
    params = {
        "pid": petition_id,
        "uid": user_id,
        "version": version,
        "constituency": constituency,
        "declaration": declaration,
        "place": place,
        "service": service,
        "now": now,
    }
    try:
        if connection.dialect.name == "postgresql":
            connection.execute(_LOCK, {"ns": counters.LOCK_NAMESPACE, "pid": petition_id})
        inserted = connection.execute(_INSERT, params).first()
        session.commit()
    except sa.exc.IntegrityError as error:
        session.rollback()
        if _is_duplicate(str(error.orig)):
            raise Conflict(
                "You have already signed this petition: each person signs once.",
                code="already_signed",
            ) from None
        raise
    except BaseException:
        session.rollback()
        raise
    if inserted is None:  # the account, the petition, the place or the service refused it
        raise _refusal(signer, petition_id, **refused)
    signature_id, place_slug, place_name, service_name, status, threshold, cached = inserted
    if status == "open" and pc.near_threshold(cached or 0, threshold):
        counters.check_after_signature(petition_id, cached or 0, threshold)
    return Signed(
        signature_id,
        petition_id,
        constituency,
        place_slug,
        place_name,
        now,
        declaration=declaration,
        service_slug=service,
        service_name=service_name,
    )


def signature_of(user, petition_id: int) -> Signature | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return db.session.scalar(
        sa.select(Signature).where(
            Signature.petition_id == petition_id, Signature.user_id == user.id
        )
    )


# ---------------------------------------------------------------- lazy closing


def close_if_due(petition_id: int, *, now: datetime | None = None) -> bool:
    """Close an open petition whose deadline passed (plus a grace) short of its threshold.

    Called on reads and writes (there is no scheduler). The counter is brought up to date
    first: a petition that reached its threshold in time is not closed unsuccessful.
    """
    from participate.notifications.services import notify

    now = now or utcnow()
    row = db.session.execute(
        sa.select(Petition.status, Petition.signing_deadline).where(Petition.id == petition_id)
    ).first()
    if row is None or row.status != "open" or row.signing_deadline is None:
        return False
    if now < row.signing_deadline + pc.CLOSE_GRACE:
        return False
    counters.refresh(petition_id, force=True, now=now)
    petition = db.session.get(Petition, petition_id)
    if petition is None:
        return False
    db.session.refresh(petition)
    if rules.status_after_deadline(petition.status, petition.signing_deadline, now) != (
        "closed_unsuccessful"
    ):
        return False
    rules.check_transition("open", "closed_unsuccessful", rules.SYSTEM)
    moved = db.session.execute(
        sa.update(Petition)
        .where(Petition.id == petition_id, Petition.status == "open")
        .values(status="closed_unsuccessful", closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not moved:
        db.session.rollback()
        return False
    record_event(
        "petition.closed_unsuccessful",
        council=petition.council_id,
        subject=petition,
        data={"deadline": petition.signing_deadline, "threshold": petition.threshold},
    )
    notify(
        [petition.author_id],
        "petition_closed",
        f"Your petition “{petition.title}” closed without reaching its threshold.",
        f"/petitions/{petition_id}",
        email=True,
    )
    db.session.commit()
    db.session.refresh(petition)
    return True


def close_expired(now: datetime | None = None) -> int:
    """Close every open petition past its deadline (a cheap indexed query when there are none)."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Petition.id).where(
            Petition.status == "open", Petition.signing_deadline <= now - pc.CLOSE_GRACE
        )
    ).all()
    return sum(close_if_due(petition_id, now=now) for petition_id in due)


# ---------------------------------------------------------------- invalidation (clerks)


def _require_invalidator(actor, petition: Petition) -> None:
    try:
        rules.check(petition.status, "invalidate_signature", role_in(actor, petition.council))
    except RuleViolation as violation:
        raise refusal(violation) from None
    check_no_conflict(actor, petition, "invalidate its signatures")


def _reason(reason: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(
            "Give the reason for invalidating: it is recorded in the public audit log.",
            code="reason_required",
            field="reason",
        )
    if len(reason) > 500:
        raise DomainError("Keep the reason to 500 characters.", code="too_long", field="reason")
    return reason


def invalidate_signature(actor, petition: Petition, signature_id: int, *, reason: str) -> int:
    """A clerk invalidates one signature, with a reason; the counts go down at once."""
    _require_invalidator(actor, petition)
    reason = _reason(reason)
    signature = db.session.get(Signature, signature_id)
    if signature is None or signature.petition_id != petition.id:
        raise NotFound("That signature is not on this petition.")
    if signature.invalidated_at is not None:
        raise DomainError(
            "That signature was already invalidated.", code="already_invalidated", status=409
        )
    return _invalidate(
        actor,
        petition,
        [Signature.id == signature_id],
        reason=reason,
        rule={"signature": signature_id},
    )


# The rule's text fields, as the API names them.
RULE_KEYS = ("email_domain", "place", "service", "declaration")


@dataclass
class InvalidationRule:
    email_domain: str = ""
    date_from: datetime | None = None
    date_to: datetime | None = None
    place: str = ""
    service: str = ""
    declaration: str = ""

    def describe(self) -> dict:
        return {
            k: (v.isoformat() if isinstance(v, datetime) else v)
            for k, v in (
                ("email_domain", self.email_domain),
                ("from", self.date_from),
                ("to", self.date_to),
                ("place", self.place),
                ("service", self.service),
                ("declaration", self.declaration),
            )
            if v
        }


def _criteria(petition: Petition, rule: InvalidationRule) -> list:
    from participate.accounts.models import User

    criteria = []
    domain = rule.email_domain.strip().lower().lstrip("@")
    if domain:
        if "@" in domain or "." not in domain or " " in domain:
            raise DomainError(
                "Give an e-mail domain such as example.org (without the @).",
                code="bad_domain",
                field="email_domain",
            )
        criteria.append(
            Signature.user_id.in_(
                sa.select(User.id).where(sa.func.lower(User.email).like(f"%@{domain}"))
            )
        )
    if rule.date_from and rule.date_to and rule.date_from > rule.date_to:
        raise DomainError(
            "The start of the date range is after its end.", code="bad_range", field="date_from"
        )
    if rule.date_from:
        criteria.append(Signature.created_at >= rule.date_from)
    if rule.date_to:
        criteria.append(Signature.created_at <= rule.date_to)
    if rule.place:
        place_id = db.session.scalar(sa.select(Place.id).where(Place.slug == rule.place))
        if place_id is None:
            raise DomainError("There is no such place.", code="bad_place", field="place")
        criteria.append(Signature.place_id == place_id)
    if rule.service:
        service_id = db.session.scalar(sa.select(Service.id).where(Service.slug == rule.service))
        if service_id is None:
            raise DomainError("There is no such service.", code="bad_service", field="service")
        criteria.append(Signature.service_id == service_id)
    if rule.declaration:
        if rule.declaration not in rules.DECLARATIONS:
            raise DomainError(
                "Choose a declaration: live, work or member.",
                code="bad_declaration",
                field="declaration",
            )
        criteria.append(Signature.declaration == rule.declaration)
    if not criteria:
        raise DomainError(
            "Give at least one rule: an e-mail domain, a date range, a place, a service or a "
            "declaration.",
            code="rule_required",
            field="email_domain",
        )
    return criteria


def matching_count(actor, petition: Petition, rule: InvalidationRule) -> int:
    """How many valid signatures a rule would invalidate (a preview; nothing written)."""
    _require_invalidator(actor, petition)
    return (
        db.session.scalar(
            sa.select(sa.func.count()).where(
                Signature.petition_id == petition.id,
                Signature.invalidated_at.is_(None),
                *_criteria(petition, rule),
            )
        )
        or 0
    )


def invalidate_by_rule(actor, petition: Petition, rule: InvalidationRule, *, reason: str) -> int:
    """A clerk invalidates every valid signature matching a rule, with a reason."""
    _require_invalidator(actor, petition)
    reason = _reason(reason)
    criteria = _criteria(petition, rule)
    return _invalidate(actor, petition, criteria, reason=reason, rule=rule.describe())


def _invalidate(actor, petition: Petition, criteria: list, *, reason: str, rule: dict) -> int:
    now = utcnow()
    counters.lock_for_recount(petition.id)
    changed = db.session.execute(
        sa.update(Signature)
        .where(
            Signature.petition_id == petition.id,
            Signature.invalidated_at.is_(None),
            *criteria,
        )
        .values(invalidated_at=now, invalidated_by_id=actor.id, invalidation_reason=reason)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not changed:
        db.session.rollback()
        raise DomainError(
            "No valid signature matches that rule: nothing was invalidated.",
            code="nothing_matched",
            field="email_domain",
        )
    result = counters.recount(petition.id, now=now, invalidated=True)
    record_event(
        "petition.signatures_invalidated",
        actor=actor,
        council=petition.council_id,
        subject=petition,
        data={
            "rule": rule,
            "invalidated": changed,
            "reason": reason,
            "count_before": result.before,
            "count_after": result.after,
        },
    )
    db.session.commit()
    return changed


def recent_signatures(
    petition: Petition, *, search: str = "", limit: int = 50, offset: int = 0
) -> list[Signature]:
    """For a clerk: the newest signatures (with the signer), optionally by name or e-mail."""
    from sqlalchemy.orm import joinedload

    from participate.accounts.models import User

    query = (
        sa.select(Signature)
        .options(
            joinedload(Signature.user), joinedload(Signature.place), joinedload(Signature.service)
        )
        .where(Signature.petition_id == petition.id)
        .order_by(Signature.id.desc())
        .limit(limit)
        .offset(offset)
    )
    if search.strip():
        like = f"%{search.strip().lower()}%"
        query = query.join(User, User.id == Signature.user_id).where(
            sa.or_(sa.func.lower(User.email).like(like), sa.func.lower(User.name).like(like))
        )
    return list(db.session.scalars(query))


@dataclass
class DeclaredCount:
    declaration: str
    place_slug: str
    place_name: str
    service_slug: str | None
    service_name: str | None
    count: int


def declared_counts(petition: Petition) -> list[DeclaredCount]:
    """For a clerk: valid signatures counted by what was declared (declaration, place,
    service), the largest first, so that an implausible group can be invalidated by rule."""
    n = sa.func.count(Signature.id)
    rows = db.session.execute(
        sa.select(Signature.declaration, Place.slug, Place.name, Service.slug, Service.name, n)
        .join(Place, Place.id == Signature.place_id)
        .outerjoin(Service, Service.id == Signature.service_id)
        .where(Signature.petition_id == petition.id, Signature.invalidated_at.is_(None))
        .group_by(Signature.declaration, Place.slug, Place.name, Service.slug, Service.name)
        .order_by(n.desc(), Place.name)
    ).all()
    return [DeclaredCount(*row) for row in rows]
