"""The textbook baseline for the write workloads: participate with textbook Flask views of
signing and casting (DESIGN.md §8: "≥ 2 × a textbook Flask view of the same write").

The app is participate's own (``create_app()``, configured from the same environment as
the app under test: database, SECRET_KEY, rate-limit storage, CSRF, sessions, every
extension and hook), plus one blueprint registered only in this benchmark target. Its two
views write what the app's routes write, the way the Flask and Flask-SQLAlchemy tutorials
teach: Flask-Login's ``@login_required`` and ``current_user`` (the account loaded by the
app's user loader), Flask-Limiter decorators with the app's limit strings, CSRF checked by
the app's global CSRFProtect, the rules checked on ORM objects, ``db.session.add`` +
``commit`` (the database's unique constraint refuses a second write: 409), and
``render_template`` of the fragment the app answers an htmx POST with.

``POST /textbook/petitions/<id>/sign`` (form: ``declaration``, ``place``, ``service``)
    Limits: the petition page's per-account and per-address limits
    (``participate.petitions.limits``). Loads the petition, its council and the council's
    place, checks ``core.petitions.check_can_sign``, inserts a ``Signature`` and renders
    ``petitions/_signed.html``.
``POST /textbook/motions/<id>/ballot`` (the ballot form: ``choice``, or ``rank-N``, or
``choice=object`` + ``reason``)
    Limit: the per-voter casting limit (``participate.votes.views.vote_limit``). Loads the
    motion, the voter's row in the eligibility snapshot, their membership and their ballot
    if any (found by ``ballot_ref``); checks the ballot (``votes.checks.check_ballot``);
    inserts a ``Ballot`` (receipt from ``new_receipt``) and a ``MotionParticipation``, or
    changes the ballot; renders ``votes/_ballot.html``.

Served by ``httpbench.Server(TEXTBOOK_TARGET, env=<the app's env>)``.
"""

from __future__ import annotations

import gc
from types import SimpleNamespace

import sqlalchemy as sa
from flask import Blueprint, render_template, request
from flask_login import current_user, login_required
from sqlalchemy.exc import IntegrityError

from participate import create_app
from participate.core.petitions import check_can_sign, check_declared
from participate.core.rules import RuleViolation
from participate.councils.models import Membership, Place, Service
from participate.errors import DomainError
from participate.extensions import db, limiter
from participate.petitions.limits import account_limit, address_limit
from participate.petitions.models import Petition, Signature
from participate.util import utcnow
from participate.votes import seal
from participate.votes.ballots import ballot_ref, new_receipt
from participate.votes.checks import check_ballot
from participate.votes.forms import ballot_from_form
from participate.votes.models import Ballot, Motion, MotionEligibility, MotionParticipation
from participate.votes.views import vote_limit

bp = Blueprint("textbook", __name__, url_prefix="/textbook")


def _refused(message: str, status: int):
    return render_template("petitions/_sign_refused.html", message=message), status


@bp.post("/petitions/<int:petition_id>/sign")
@login_required
@limiter.limit(account_limit, key_func=lambda: f"account:{current_user.id}")
@limiter.limit(address_limit)  # the limiter's key: the client's address
def sign(petition_id: int):
    petition = db.get_or_404(Petition, petition_id)
    declaration = request.form.get("declaration", "")
    member_constituency = None
    if declaration == "member":
        member_constituency = db.session.scalar(
            sa.select(Membership.constituency).where(
                Membership.council_id == petition.council_id,
                Membership.user_id == current_user.id,
                Membership.status == "active",
            )
        )
    now = utcnow()
    try:
        constituency = check_can_sign(
            petition.status,
            email_confirmed=current_user.email_confirmed_at is not None,
            declaration=declaration,
            member_constituency=member_constituency,
            deadline=petition.signing_deadline,
            now=now,
        )
    except RuleViolation as violation:
        return _refused(violation.message, 403)
    slug = request.form.get("place") or None
    service_slug = (request.form.get("service") or None) if declaration == "work" else None
    try:
        check_declared(declaration, place=slug, service=service_slug)
    except RuleViolation as violation:
        return _refused(violation.message, 400)
    home = petition.council.place
    place = home
    if slug:  # a local place within the council's area (its own, a child's or a grandchild's)
        place = db.session.scalar(sa.select(Place).where(Place.slug == slug))
        parent = db.session.get(Place, place.parent_id) if place and place.parent_id else None
        if (
            place is None
            or place.level != "local"
            or home.id not in (place.id, place.parent_id, parent.parent_id if parent else None)
        ):
            return _refused("Choose a local place within the area the council serves.", 400)
    service = None
    if service_slug:
        service = db.session.scalar(sa.select(Service).where(Service.slug == service_slug))
        council_service = petition.council.service_id
        if service is None or council_service not in (None, service.id):
            return _refused("Choose the service you work for among the council's.", 400)
    signature = Signature(
        petition_id=petition.id,
        user_id=current_user.id,
        constituency=constituency,
        declaration=declaration,
        place_id=place.id,
        service_id=service.id if service else None,
        created_at=now,
    )
    db.session.add(signature)
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return _refused("You have already signed this petition: each person signs once.", 409)
    signed = {
        "constituency": signature.constituency,
        "declaration": declaration,
        "place_name": place.name,
        "service_name": service.name if service else None,
        "created_at": signature.created_at,
        "invalidation_reason": signature.invalidation_reason,
    }
    html = render_template("petitions/_signed.html", signed=signed, thanks=True)
    return html, 200, {"HX-Trigger": "petition-signed"}


@bp.post("/motions/<int:motion_id>/ballot")
@login_required
@limiter.limit(vote_limit, key_func=lambda: f"voter:{current_user.id}")
def cast(motion_id: int):
    motion = db.get_or_404(Motion, motion_id)

    def panel(status, *, message=None, error=None, field=None, code=200):
        html = render_template(
            "votes/_ballot.html",
            motion=motion,
            status=status,
            message=message,
            ballot_error=error,
            ballot_field=field,
        )
        return html, code

    refused = SimpleNamespace(can_vote=False, voted=False, receipt=None)
    if motion.status != "open" or (motion.closes_at is not None and motion.closes_at <= utcnow()):
        return panel(refused, error="Voting on this motion is not open.", code=409)
    eligible = db.session.get(MotionEligibility, (motion.id, current_user.id))
    membership = db.session.scalar(
        sa.select(Membership.status).where(
            Membership.council_id == motion.council_id, Membership.user_id == current_user.id
        )
    )
    if eligible is None or membership == "suspended":
        return panel(refused, error="You cannot vote on this motion.", code=403)
    ballot_form = {"choice": None, "ranking": None, "objection": None}
    ballot_form.update(ballot_from_form(request.form))
    try:
        choice, ranking, reason = check_ballot(motion.method, motion.options, **ballot_form)
    except DomainError as error:
        status = SimpleNamespace(can_vote=True, voted=False, receipt=None)
        return panel(status, error=error.message, field=error.field, code=error.status)
    ref = ballot_ref(motion.id, current_user.id)
    ballot = db.session.get(Ballot, (motion.id, ref))
    first = ballot is None
    constituency = eligible.constituency
    if ballot is None:
        receipt = new_receipt()
        ballot = Ballot(
            motion_id=motion.id,
            ref=ref,
            receipt_digest=seal.receipt_digest(receipt),
            receipt_sealed=seal.seal_receipt(receipt, motion.id, ref, constituency),
            constituency=constituency,
        )
        db.session.add(ballot)
        db.session.add(MotionParticipation(motion_id=motion.id, user_id=current_user.id))
    else:
        receipt = seal.open_receipt(ballot.receipt_sealed, motion.id, ref, constituency)
    ballot.sealed = seal.seal_choice(
        motion.method,
        motion.options,
        motion.id,
        ref,
        constituency,
        choice=choice,
        ranking=ranking,
        reason=reason,
    )
    try:
        db.session.commit()
    except IntegrityError:  # the same voter's other request got there first
        db.session.rollback()
        return panel(refused, error="Your ballot was cast at the same moment: reload.", code=409)
    message = (
        f"Your ballot was recorded. Your receipt is {receipt}."
        if first
        else f"Your ballot was changed; only this one counts. Your receipt is {receipt}."
    )
    return panel(SimpleNamespace(can_vote=True, voted=True, receipt=receipt), message=message)


def create_textbook_app():
    app = create_app()
    app.register_blueprint(bp)
    return app


app = create_textbook_app()
gc.collect()
gc.freeze()  # as participate/wsgi.py does for the app under test
