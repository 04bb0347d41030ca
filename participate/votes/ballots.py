"""Casting, changing and reading secret ballots (DESIGN §3).

The cast path is built to be short: one query reads the motion's state, the voter's
place in the eligibility snapshot and their membership; one INSERT ... ON CONFLICT DO
UPDATE writes the ballot (race-safe: concurrent requests from one member end with
exactly one ballot) and returns its receipt; one INSERT ... ON CONFLICT DO NOTHING
records participation (its row count says whether this was the first cast). The choice
and the receipt are sealed before the write (``participate.votes.seal``): a database
reader who joins the two rows still learns nothing about the choice.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.dialects import postgresql, sqlite

from participate.accounts.models import User
from participate.councils.models import Membership
from participate.errors import Conflict, DomainError, Forbidden, NotFound
from participate.extensions import db
from participate.util import utcnow
from participate.votes import seal
from participate.votes.checks import check_ballot
from participate.votes.closing import close_if_due
from participate.votes.models import Ballot, Motion, MotionEligibility, MotionParticipation

# Receipts: 16 characters from 32 unambiguous ones (no 0/O, 1/I), 80 random bits.
RECEIPT_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class CastResult:
    """What casting gave the voter: the receipt, and whether this was their first ballot."""

    receipt: str
    first: bool
    method: str = "binary"
    options: list[str] | None = None


@dataclass(frozen=True)
class VoteStatus:
    """A person's standing on one motion. Never holds their choice."""

    can_vote: bool
    voted: bool
    receipt: str | None
    constituency: str | None
    reason: str | None  # why they cannot vote, when they cannot
    code: str | None


# ---------------------------------------------------------------- refs and receipts


def ballot_ref(motion_id: int, user_id: int) -> str:
    """HMAC(SECRET_KEY, "<motion_id>:<user_id>"): finds a voter's ballot without naming them."""
    key = current_app.config["SECRET_KEY"]
    if isinstance(key, str):
        key = key.encode()
    return hmac.new(key, f"{motion_id}:{user_id}".encode(), hashlib.sha256).hexdigest()


def new_receipt() -> str:
    """A random receipt code such as ``K7QF-2M9X-D4TB-WP3H`` (not derived from the voter)."""
    bits = secrets.randbits(80)
    code = "".join(RECEIPT_ALPHABET[(bits >> (5 * i)) & 31] for i in range(16))
    return "-".join(code[i : i + 4] for i in range(0, 16, 4))


# ---------------------------------------------------------------- who may vote


class _Statements:
    """The cast path's statements, built once per dialect and run with bound parameters.

    Building a SQLAlchemy statement costs more than running it on SQLite, so the hot path
    reuses these (SQLAlchemy caches their compiled form) and executes them on the session's
    connection, in the session's transaction (no ORM unit of work).
    """

    def __init__(self, dialect: str):
        m, e, ms = Motion.__table__, MotionEligibility.__table__, Membership.__table__
        b, p, u = Ballot.__table__, MotionParticipation.__table__, User.__table__
        user = sa.bindparam("user_id")
        self.standing = (
            sa.select(
                m.c.status,
                m.c.closes_at,
                m.c.method,
                m.c.options,
                e.c.constituency,
                ms.c.status.label("membership"),
                u.c.id.label("account"),
            )
            .select_from(
                m.outerjoin(e, sa.and_(e.c.motion_id == m.c.id, e.c.user_id == user))
                .outerjoin(ms, sa.and_(ms.c.council_id == m.c.council_id, ms.c.user_id == user))
                # The session is still good: a changed password bumps session_version.
                .outerjoin(
                    u, sa.and_(u.c.id == user, u.c.session_version == sa.bindparam("version"))
                )
            )
            .where(m.c.id == sa.bindparam("motion_id"))
        )
        insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(b)
        self.upsert = insert.on_conflict_do_update(
            index_elements=[b.c.motion_id, b.c.ref],
            set_={"sealed": insert.excluded.sealed},
        ).returning(b.c.receipt_digest, b.c.receipt_sealed)
        self.participate = (
            (postgresql.insert if dialect == "postgresql" else sqlite.insert)(p)
            .on_conflict_do_nothing()
            .returning(p.c.user_id)
        )


class Standing(NamedTuple):
    """A voter's standing on a motion, from one query (``_Statements.standing``)."""

    status: str
    closes_at: datetime | None
    method: str
    options: list[str] | None
    constituency: str | None  # their constituency in the eligibility snapshot
    membership: str | None  # their membership's status now
    account: int | None  # None when the session is stale (or nobody is signed in)


_STATEMENTS: dict[str, _Statements] = {}


def _statements() -> _Statements:
    dialect = db.engine.dialect.name
    statements = _STATEMENTS.get(dialect)
    if statements is None:
        statements = _STATEMENTS[dialect] = _Statements(dialect)
    return statements


def _voter(user) -> tuple[int | None, int]:
    """(user id, session version) of a signed-in account; (None, 0) for a visitor. The
    standing query checks the pair, so a session ended by a password change is refused."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None, 0
    return user.id, user.session_version or 1


def _standing(motion_id: int, user_id: int | None, version: int = 0) -> Standing | None:
    """One query: the motion's state, the voter's eligibility, membership and account."""
    params = {"motion_id": motion_id, "user_id": user_id or 0, "version": version}
    row = db.session.connection().execute(_statements().standing, params).first()
    return None if row is None else Standing(*row)


def _refusal(motion_id: int, row, signed_in: bool) -> DomainError | None:
    """Why this person may not vote now, or None. Messages name the rule and what to do."""
    status, closes_at, _method, _options, constituency, membership, _account = row
    if status == "draft":
        return Conflict(
            "Voting on this motion has not opened yet; the clerk opens it.",
            code="voting_not_open",
        )
    if status == "closed" or (closes_at is not None and closes_at <= utcnow()):
        return Conflict(
            "Voting on this motion has closed: ballots can no longer be cast or changed (a "
            "deliberation round's motions take ballots only in its voting phase). The result "
            "and the ballot file are published on the motion's page.",
            code="voting_closed",
        )
    if not signed_in:
        return Forbidden("Sign in to vote.", code="sign_in_required")
    if constituency is None:
        motion = db.session.get(Motion, motion_id)
        council, opened = motion.council.name, motion.opens_at
        if membership == "active":
            return Forbidden(
                f"You joined {council} after voting on this motion opened "
                f"({opened:%d %b %Y, %H:%M} UTC): the eligible voters were fixed then. "
                "You can vote on motions opened from now on.",
                code="joined_after_opening",
            )
        return Forbidden(
            f"Only members of {council} who were active when voting opened can vote on this "
            "motion. Ask to join the council to take part in later votes.",
            code="not_eligible",
        )
    if membership == "suspended":
        return Forbidden(
            "Your membership of this council is suspended, so you cannot vote. "
            "Ask the clerk why, or to reinstate you.",
            code="membership_suspended",
        )
    return None


# ---------------------------------------------------------------- casting


def cast_ballot(
    user,
    motion: Motion | int,
    *,
    choice: str | None = None,
    ranking: list[str] | None = None,
    objection: str | None = None,
) -> CastResult:
    """Cast or change ``user``'s ballot on an open motion; returns the receipt.

    Binary: ``choice`` yes/no/abstain. Schulze: ``ranking`` (options, best first; left
    out options tie last). Consent: ``choice="consent"`` or ``objection="reason"``.
    Casting again replaces the earlier ballot and keeps its receipt. Refusals (closed
    motion, not eligible, malformed ballot) raise DomainError and write nothing.
    """
    motion_id = motion if isinstance(motion, int) else motion.id
    user_id, version = _voter(user)
    session = db.session
    row = _standing(motion_id, user_id, version)
    signed_in = row is not None and row.account is not None
    if row is None:
        raise NotFound(f"There is no motion {motion_id}.")
    refusal = _refusal(motion_id, row, signed_in)
    if refusal is not None:  # nothing written; a caller's own transaction is left alone
        _close_if_past(motion_id, row)
        raise refusal
    stored_choice, stored_ranking, reason = check_ballot(
        row.method, row.options, choice, ranking, objection
    )
    statements = _statements()
    ref = ballot_ref(motion_id, user_id)
    constituency = row.constituency
    params = {
        "motion_id": motion_id,
        "ref": ref,
        "constituency": constituency,
        "sealed": seal.seal_choice(
            row.method,
            row.options,
            motion_id,
            ref,
            constituency,
            choice=stored_choice,
            ranking=stored_ranking,
            reason=reason,
        ),
    }
    who = {"motion_id": motion_id, "user_id": user_id}
    for attempt in range(3):
        drawn = new_receipt()
        params["receipt_digest"] = drawn_digest = seal.receipt_digest(drawn)
        params["receipt_sealed"] = seal.seal_receipt(drawn, motion_id, ref, constituency)
        connection = session.connection()  # the request's own, in the session's transaction
        try:
            # The write lock is held from the first statement to the commit: keep it short.
            digest, receipt_sealed = connection.execute(statements.upsert, params).one()
            # RETURNING, not rowcount: some drivers report -1 for INSERT ... ON CONFLICT.
            first = connection.execute(statements.participate, who).first() is not None
            # A change keeps the stored receipt, so getting back the one just drawn means
            # a new ballot row. A new row for someone who already took part means their
            # earlier ballot cannot be found (SECRET_KEY changed during the vote): refuse
            # rather than count them twice.
            if digest == drawn_digest and not first:
                session.rollback()
                raise Conflict(
                    "Your earlier ballot on this motion still counts, but it cannot be "
                    "changed: the server's key changed while voting was open. Tell the "
                    "council's clerk.",
                    code="ballot_unchangeable",
                )
            receipt = (
                drawn
                if digest == drawn_digest
                else seal.open_receipt(receipt_sealed, motion_id, ref, constituency)
            )
            session.commit()
        except sa.exc.IntegrityError as error:
            session.rollback()
            text = str(error.orig)
            if "ballot_refused" in text:
                # Voting closed between our check and our write: the database said no.
                _close_if_past(motion_id, row)
                raise Conflict(
                    "Voting on this motion has closed: ballots can no longer be cast or changed.",
                    code="voting_closed",
                ) from None
            if "receipt_digest" in text and attempt < 2:
                continue  # an 80-bit receipt collided: draw another
            raise
        except BaseException:
            session.rollback()
            raise
        return CastResult(receipt=receipt, first=first, method=row.method, options=row.options)
    raise AssertionError("unreachable")


def _close_if_past(motion_id: int, row) -> None:
    status, closes_at = row[0], row[1]
    if status == "open" and closes_at is not None and closes_at <= utcnow():
        motion = db.session.get(Motion, motion_id)
        if motion is not None:
            close_if_due(motion)


# ---------------------------------------------------------------- reading


def my_vote_status(user, motion: Motion) -> VoteStatus:
    """Whether ``user`` may vote, whether they did and their receipt; never their choice."""
    user_id, version = _voter(user)
    row = _standing(motion.id, user_id, version)
    signed_in = row.account is not None
    voted = False
    receipt = None
    if signed_in and row[4] is not None:
        ref = ballot_ref(motion.id, user_id)
        stored = db.session.execute(
            sa.select(Ballot.receipt_sealed, Ballot.constituency).where(
                Ballot.motion_id == motion.id, Ballot.ref == ref
            )
        ).first()
        voted = stored is not None
        if stored is not None:
            try:
                receipt = seal.open_receipt(stored[0], motion.id, ref, stored[1])
            except seal.SealError:  # altered, or sealed under a key since dropped
                receipt = None
    refusal = _refusal(motion.id, row, signed_in)
    return VoteStatus(
        can_vote=refusal is None,
        voted=voted,
        receipt=receipt,
        constituency=row[4],
        reason=refusal.message if refusal else None,
        code=refusal.code if refusal else None,
    )
