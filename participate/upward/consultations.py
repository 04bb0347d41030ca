"""National consultations: publish a draft requirement, cascade it, positions, adoption.

A minister (or clerk) of a national council publishes a draft requirement with a closing
date. It cascades to every council below in the forum graph (one row each, inserted in
bulk), where it appears on the "must answer" list. Each of those councils submits one
position (support, oppose, amend) with its text and the tally of the motion that decided
it, until the closing date. The results are aggregated by stance, level and region and
weighted by turnout; amendments are grouped by similarity. The minister can mark the
requirement adopted only once the consultation has closed (also a database check).
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from participate.audit.services import record_event
from participate.core import cascade, cluster_memory, clustering
from participate.councils.models import Council, Membership, Place
from participate.councils.services import load_graph, require_clerk
from participate.errors import Conflict, DomainError, Forbidden, NotFound
from participate.extensions import db
from participate.markup import render_markdown
from participate.notifications.services import notify
from participate.upward.consultation_results import results
from participate.upward.models import Consultation, ConsultationCouncil, Position
from participate.upward.services import motion_of_council
from participate.util import utcnow

MIN_PERIOD = timedelta(days=1)
MAX_PERIOD = timedelta(days=366)
TITLE_MAX = 200
BODY_MAX = 50_000


def get_consultation(consultation_id: int) -> Consultation:
    found = (
        db.session.get(Consultation, consultation_id) if isinstance(consultation_id, int) else None
    )
    if found is None:
        raise NotFound(
            f"There is no consultation {consultation_id}. See the list of consultations."
        )
    return found


def _publisher_membership(actor, council: Council, doing: str) -> Membership:
    membership = None
    if getattr(actor, "is_authenticated", False):
        membership = db.session.scalar(
            sa.select(Membership).where(
                Membership.user_id == actor.id, Membership.council_id == council.id
            )
        )
    if membership is None or not membership.is_clerk:
        raise Forbidden(
            f"Only the minister or a clerk of {council.name} may {doing}.", code="minister_only"
        )
    return membership


# ---------------------------------------------------------------- publishing


def publish_consultation(
    actor, council: Council, *, title: str, body: str, closes_at: datetime
) -> Consultation:
    """Publish a draft requirement and cascade it to every council below ``council``."""
    _publisher_membership(actor, council, "publish a consultation")
    if council.is_forum or council.level != "nation":
        raise DomainError(
            "A consultation on a national requirement is published by a national service "
            "council; this council cannot publish one.",
            code="not_national",
        )
    title = (title or "").strip()
    body = (body or "").strip()
    if not title or len(title) > TITLE_MAX:
        raise DomainError(
            f"Give the draft requirement a title (up to {TITLE_MAX} characters).",
            code="title_required",
            field="title",
        )
    if len(body) < 20 or len(body) > BODY_MAX:
        raise DomainError(
            "Write the draft requirement (at least 20 characters): councils answer its text.",
            code="body_required",
            field="body",
        )
    now = utcnow()
    if not isinstance(closes_at, datetime):
        raise DomainError("Give a closing date.", code="closes_required", field="closes_at")
    if closes_at < now + MIN_PERIOD:
        raise DomainError(
            "The closing date must be at least one day ahead, so councils can take the draft "
            "into a round.",
            code="closes_too_soon",
            field="closes_at",
        )
    if closes_at > now + MAX_PERIOD:
        raise DomainError(
            "The closing date must be within a year.", code="closes_too_late", field="closes_at"
        )
    graph = load_graph()
    below = cascade.cascade(graph, council.slug)
    if not below:
        raise DomainError(
            f"No council is below {council.name} in the forum network: nobody to consult.",
            code="empty_cascade",
        )
    wanted = set(below)
    rows = []
    for cid, slug, level, place_id, parent_id in db.session.execute(
        sa.select(Council.id, Council.slug, Place.level, Place.id, Place.parent_id).join(
            Place, Place.id == Council.place_id
        )
    ):
        if slug in wanted:
            region = place_id if level == "region" else parent_id if level == "local" else None
            rows.append({"council_id": cid, "level": level, "region_id": region})
    consultation = Consultation(
        council_id=council.id,
        title=title,
        body=body,
        body_html=render_markdown(body),
        published_by_id=actor.id,
        published_at=now,
        closes_at=closes_at,
        cascade_count=len(rows),
    )
    db.session.add(consultation)
    db.session.flush()
    for row in rows:
        row["consultation_id"] = consultation.id
    db.session.execute(sa.insert(ConsultationCouncil), rows)
    clerks = db.session.scalars(
        sa.select(Membership.user_id)
        .join(ConsultationCouncil, ConsultationCouncil.council_id == Membership.council_id)
        .where(
            ConsultationCouncil.consultation_id == consultation.id,
            Membership.status == "active",
            Membership.role.in_(("clerk", "minister")),
        )
        .distinct()
    ).all()
    notify(
        clerks,
        "upward_consultation",
        f"{council.name} consults your council on “{title}” until {closes_at:%-d %b %Y}.",
        f"/consultations/{consultation.id}",
    )
    record_event(
        "upward.consultation_published",
        actor=actor,
        council=council,
        subject=consultation,
        data={
            "title": title,
            "closes_at": closes_at.isoformat(),
            "councils": len(rows),
        },
    )
    db.session.commit()
    return consultation


# ---------------------------------------------------------------- positions


def cascade_row(consultation: Consultation, council: Council) -> ConsultationCouncil | None:
    return db.session.get(ConsultationCouncil, (consultation.id, council.id))


def position_of(consultation: Consultation, council: Council) -> Position | None:
    return db.session.scalar(
        sa.select(Position).where(
            Position.consultation_id == consultation.id, Position.council_id == council.id
        )
    )


def submit_position(
    actor,
    consultation: Consultation,
    council: Council,
    *,
    stance: str,
    text: str = "",
    motion_id=None,
    decided_by: str = "",
    commit: bool = True,
) -> Position:
    """A council's position on the consultation, with the tally of the deciding motion.

    ``actor`` is a clerk of the council (None: recorded by a round's outcome, whose
    clerk the rounds feature checked). Refused, with nothing written: a council outside
    the cascade, after the closing date, a second position, an amendment without text.
    """
    if actor is not None:
        require_clerk(actor, council)
    row = cascade_row(consultation, council)
    if row is None:
        raise DomainError(
            f"{council.name} is not among the councils this consultation was sent to (the "
            "councils below its national council). Only they submit positions.",
            code="not_in_cascade",
            status=403,
        )
    now = utcnow()
    if consultation.state(now) != "open":
        raise DomainError(
            f"This consultation closed on {consultation.closes_at:%-d %b %Y %H:%M} UTC: "
            "positions are no longer accepted.",
            code="consultation_closed",
            status=409,
        )
    if position_of(consultation, council) is not None:
        raise Conflict(
            f"{council.name} already submitted its position on this consultation; a council "
            "answers once.",
            code="already_submitted",
        )
    try:
        stance, text = cascade.check_position(stance, text)
    except cascade.FlowError as error:
        raise DomainError(error.message, code=error.code, field=error.field) from None
    motion = motion_of_council(council, motion_id)
    tally = cascade.tally_summary(motion.result) if motion is not None else None
    position = Position(
        consultation_id=consultation.id,
        council_id=council.id,
        stance=stance,
        text=text,
        text_html=render_markdown(text) if text else "",
        motion_id=motion.id if motion is not None else None,
        tally=tally,
        weight=cascade.turnout_weight(tally),
        level=row.level,
        region_id=row.region_id,
        decided_by=decided_by or (f"motion:{motion.id}" if motion is not None else "clerk"),
        submitted_by_id=getattr(actor, "id", None),
        submitted_at=now,
    )
    db.session.add(position)
    db.session.flush()
    if stance == "amend":
        _group_amendment(consultation, position)
    db.session.execute(
        sa.update(Consultation)
        .where(Consultation.id == consultation.id)
        .values(positions_count=Consultation.positions_count + 1)
    )
    record_event(
        "upward.position",
        actor=actor,
        council=council,
        subject=position,
        data={
            "consultation": consultation.id,
            "stance": stance,
            "motion": position.motion_id,
            "weight": position.weight,
        },
    )
    if commit:
        try:
            db.session.commit()
        except sa.exc.IntegrityError as exc:
            db.session.rollback()
            raise Conflict(
                f"{council.name}'s position was submitted at the same moment by someone else.",
                code="already_submitted",
            ) from exc
    return position


def _group_amendment(consultation: Consultation, position: Position) -> None:
    """Put an amendment in a group of similar amendments (the clustering core, in memory:
    a consultation's amendments are few)."""
    rows = db.session.execute(
        sa.select(Position.id, Position.text, Position.amendment_group)
        .where(
            Position.consultation_id == consultation.id,
            Position.stance == "amend",
            Position.id != position.id,
            Position.amendment_group.is_not(None),
        )
        .order_by(Position.id)
    ).all()
    items = [{"id": r.id, "title": "", "body": r.text} for r in rows]
    store = cluster_memory.restore(items, {r.id: r.amendment_group for r in rows})
    placement = clustering.assign(store, position.id, clustering.features("", position.text))
    position.amendment_group = placement.cluster
    if placement.absorbed:
        db.session.execute(
            sa.update(Position)
            .where(
                Position.consultation_id == consultation.id,
                Position.amendment_group.in_(list(placement.absorbed)),
            )
            .values(amendment_group=placement.cluster)
        )


# ---------------------------------------------------------------- closing

# A consultation's close is announced by the scheduled job (participate.jobs) within this
# long of it; older closes (e.g. before the first deployment of the job) are not announced.
CLOSE_NOTICE_WINDOW = timedelta(days=7)


def recently_closed(now: datetime) -> list[int]:
    """The consultations not adopted whose closing time passed within the notice window."""
    return list(
        db.session.scalars(
            sa.select(Consultation.id)
            .where(
                Consultation.closes_at <= now,
                Consultation.closes_at > now - CLOSE_NOTICE_WINDOW,
                Consultation.adopted_at.is_(None),
            )
            .order_by(Consultation.closes_at, Consultation.id)
        )
    )


def announce_close(consultation: Consultation, *, now: datetime) -> int:
    """Tell the publishing council's minister and clerks that the consultation has closed and
    the positions are in (caller commits; the job records that it was told, so once)."""
    council = consultation.council
    record_event(
        "upward.consultation_closed",
        council=council,
        subject=consultation,
        data={
            "title": consultation.title,
            "closes_at": consultation.closes_at.isoformat(),
            "positions": consultation.positions_count,
            "councils": consultation.cascade_count,
        },
    )
    publishers = db.session.scalars(
        sa.select(Membership.user_id).where(
            Membership.council_id == council.id,
            Membership.status == "active",
            Membership.role.in_(("clerk", "minister")),
        )
    ).all()
    return notify(
        publishers,
        "upward_consultation_closed",
        f"The consultation “{consultation.title}” has closed: "
        f"{consultation.positions_count} of {consultation.cascade_count} councils gave a "
        "position. Read the results; the minister can now adopt the requirement.",
        f"/consultations/{consultation.id}",
        email=True,
    )


# ---------------------------------------------------------------- adoption


def adopt_requirement(actor, consultation: Consultation, *, note: str = "") -> Consultation:
    """The minister marks the national requirement adopted, only after the consultation closed."""
    council = consultation.council
    membership = _publisher_membership(actor, council, "adopt a national requirement")
    if membership.role != "minister":
        raise Forbidden(
            f"Only the minister of {council.name} adopts a national requirement; a clerk "
            "publishes consultations and answers the inbox.",
            code="minister_only",
        )
    if consultation.adopted_at is not None:
        raise Conflict(
            f"This requirement was already adopted on {consultation.adopted_at:%-d %b %Y}.",
            code="already_adopted",
        )
    now = utcnow()
    if now < consultation.closes_at:
        raise DomainError(
            f"The consultation is open until {consultation.closes_at:%-d %b %Y %H:%M} UTC: a "
            "national requirement can be adopted only after its consultation has closed and "
            "the councils' positions are in.",
            code="consultation_open",
            status=409,
        )
    note = (note or "").strip()
    if len(note) < 10:
        raise DomainError(
            "Write the adoption note: how the consultation's results shaped the requirement "
            "(at least 10 characters).",
            code="note_required",
            field="note",
        )
    claimed = db.session.execute(
        sa.update(Consultation)
        .where(Consultation.id == consultation.id, Consultation.adopted_at.is_(None))
        .values(
            adopted_at=now,
            adopted_by_id=actor.id,
            adoption_note=note,
            adoption_html=render_markdown(note),
        )
    ).rowcount
    if claimed != 1:
        db.session.rollback()
        raise Conflict("This requirement was adopted at the same moment.", code="already_adopted")
    summary = results(consultation).aggregate
    record_event(
        "upward.requirement_adopted",
        actor=actor,
        council=council,
        subject=consultation,
        data={
            "title": consultation.title,
            "positions": summary["by_stance"],
            "responded": summary["responded"],
            "councils": summary["councils"],
        },
    )
    clerks = db.session.scalars(
        sa.select(Membership.user_id)
        .join(ConsultationCouncil, ConsultationCouncil.council_id == Membership.council_id)
        .where(
            ConsultationCouncil.consultation_id == consultation.id,
            Membership.status == "active",
            Membership.role.in_(("clerk", "minister")),
        )
        .distinct()
    ).all()
    notify(
        clerks,
        "upward_adopted",
        f"{council.name} adopted the national requirement “{consultation.title}” after consulting.",
        f"/consultations/{consultation.id}/adoption",
    )
    db.session.commit()
    db.session.refresh(consultation)
    return consultation
