"""Signing a petition (the hot path), and the places and services a signer may declare.

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
from participate.core import petitions as rules
from participate.core import signature_batches
from participate.core.rules import RuleViolation
from participate.councils.access import refusal
from participate.councils.models import Council, Place, Service
from participate.errors import Conflict, DomainError, NotFound
from participate.extensions import db
from participate.petitions import signature_counter
from participate.petitions.closing import close_if_due
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
# PostgreSQL: the petition's shared signing lock, held until commit (signature_counter.py).
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
            connection.execute(_LOCK, {"ns": signature_counter.LOCK_NAMESPACE, "pid": petition_id})
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
    if status == "open" and signature_batches.near_threshold(cached or 0, threshold):
        signature_counter.check_after_signature(petition_id, cached or 0, threshold)
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
