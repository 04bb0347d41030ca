"""The demo tells one coherent story (issue 15): the minutes' decisions match their agenda
items and votes, comments' stances match their words, nothing has happened in the future,
proposal texts are whole, each demo person's memberships fit their role, nobody opens the
demo to a wall of unread notifications, and the story is told over months, each thing after
what it needs, with an audit log that reads in order."""

from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

# Columns that hold a plan or a deadline, not something that happened.
PLANNED = re.compile(r"(closes_at|_ends_at|due_at|deadline|claimed_until|expires_at|opens_at)$")
AGAINST_WORDS = re.compile(
    r"\b(against|not|cannot|no|risk|risks|worry|but|instead|unrealistic|fail|cut|unfair)\b", re.I
)
FOR_REFUSAL = re.compile(r"\b(I am against|I oppose|vote no|cannot support)\b", re.I)


def test_each_decision_matches_its_item_and_its_vote(demo):
    from participate.rounds.models import AgendaItem
    from participate.votes.models import Motion

    decided = demo.db.session.scalars(
        sa.select(AgendaItem).where(AgendaItem.decision.is_not(None))
    ).all()
    assert decided
    wrong = []
    for item in decided:
        reasons = item.reasons.lower()
        motion = demo.db.session.get(Motion, item.motion_id) if item.motion_id else None
        passed = (motion.result or {}).get("passed") if motion is not None else None
        if item.decision == "adopted" and ("did not" in reasons or "rejected" in reasons):
            wrong.append((item.title, item.decision, item.reasons))
        if item.decision == "rejected" and ("passed" in reasons or "adopted" in reasons):
            wrong.append((item.title, item.decision, item.reasons))
        if passed is not None and item.decision != "deferred":
            if (item.decision == "adopted") != bool(passed):
                wrong.append((item.title, item.decision, "vote passed" if passed else "failed"))
        words = set(re.findall(r"\w{5,}", item.title.lower()))
        if not words & set(re.findall(r"\w{5,}", reasons)):
            wrong.append((item.title, "reasons say nothing of the item", item.reasons))
    assert wrong == []


def test_each_comment_says_what_its_stance_says(demo):
    """Shown comments (a hidden one is the moderation example, hostile on purpose)."""
    from participate.proposals.models import Comment

    wrong = []
    shown = sa.select(Comment.stance, Comment.body).where(Comment.hidden_at.is_(None))
    for stance, body in demo.db.session.execute(shown):
        if stance == "question" and "?" not in body:
            wrong.append((stance, body))
        if stance == "against" and not AGAINST_WORDS.search(body):
            wrong.append((stance, body))
        if stance in ("for", "neutral") and FOR_REFUSAL.search(body):
            wrong.append((stance, body))
    assert sorted(set(wrong)) == []


def test_nothing_has_happened_in_the_future(demo):
    from participate.extensions import db
    from participate.util import utcnow

    soon = utcnow() + timedelta(minutes=5)
    future = []
    for table in db.metadata.sorted_tables:
        for column in table.columns:
            if not isinstance(column.type, sa.DateTime) or PLANNED.search(column.name):
                continue
            count = demo.db.session.scalar(
                sa.select(sa.func.count()).select_from(table).where(column > soon)
            )
            if count:
                future.append((table.name, column.name, count))
    assert future == []


def test_proposal_texts_are_whole(demo):
    from participate.proposals.models import Amendment, Proposal

    cut = []
    for model in (Proposal, Amendment):
        for row_id, body in demo.db.session.execute(sa.select(model.id, model.body)):
            end = body.rstrip()
            if not end or end[-1] not in '.!?)”"*|':
                cut.append((model.__name__, row_id, end[-60:]))
    assert cut == []


def test_each_demo_person_belongs_where_their_role_says(demo):
    from participate.accounts.models import User
    from participate.councils.models import Membership

    def memberships(email):
        user = demo.db.session.scalar(sa.select(User).where(User.email == email))
        return demo.db.session.scalars(
            sa.select(Membership).where(
                Membership.user_id == user.id, Membership.status == "active"
            )
        ).all()

    from participate.seed.context import DEMO_COUNCILS

    for role in ("citizen", "employee", "leader", "elected"):
        mine = memberships(f"{role}@example.org")
        assert mine, role
        assert {m.constituency for m in mine} == {role}, role
        assert {m.role for m in mine} == {"member"}, role
        slugs = {m.council.slug for m in mine}
        # they all live or work in Manchester: its councils, and those it reports to
        assert "health-manchester" in slugs, role
        assert {m.council.place.slug for m in mine} <= {"manchester", "north-west", "england"}, (
            role,
            slugs,
        )
        # some of the demo's councils, not all of them (nobody of Manchester sits in Leeds)
        assert slugs < set(DEMO_COUNCILS), (role, slugs)
    slugs_of = {
        role: {m.council.slug for m in memberships(f"{role}@example.org")}
        for role in ("citizen", "employee", "leader", "elected")
    }
    # a nurse in the health service, a councillor in Manchester, a leader up to the nation
    assert all(slug.startswith("health-") for slug in slugs_of["employee"])
    assert all(slug.endswith("-manchester") for slug in slugs_of["elected"])
    assert "health-england" in slugs_of["leader"]
    assert "health-england" not in slugs_of["citizen"] | slugs_of["employee"]
    clerk = memberships("clerk@example.org")
    assert any(m.role == "clerk" and m.council.slug == "health-manchester" for m in clerk)
    minister = memberships("minister@example.org")
    assert any(m.role == "minister" and m.council.level == "nation" for m in minister)
    assert memberships("admin@example.org") == []


def test_each_resident_lives_in_one_place_and_belongs_to_its_councils(demo):
    """A resident's local councils are all of one place, the regional councils they belong to
    are that place's region's (a Leeds resident sits on Yorkshire's, not on the North West's),
    and most of the demo's residents live in Manchester, where most of the demo happens."""
    from participate.accounts.models import User
    from participate.councils.models import Council, Membership, Place
    from participate.seed.context import DEMO_COUNCILS

    region = sa.orm.aliased(Place)
    rows = demo.db.session.execute(
        sa.select(User.email, Council.slug, Place.slug, Place.level, region.slug)
        .join(Membership, Membership.user_id == User.id)
        .join(Council, Council.id == Membership.council_id)
        .join(Place, Place.id == Council.place_id)
        .outerjoin(region, region.id == Place.parent_id)
        .where(User.email.like("resident%@example.org"))
    ).all()
    homes: dict[str, set[tuple[str, str]]] = {}
    regions: dict[str, set[str]] = {}
    for email, _council, place, level, parent in rows:
        if level == "local":
            homes.setdefault(email, set()).add((place, parent))
        elif level == "region":
            regions.setdefault(email, set()).add(place)
    residents = demo.db.session.scalar(
        sa.select(sa.func.count()).where(User.email.like("resident%@example.org"))
    )
    assert residents and len(homes) == residents  # everyone lives somewhere
    wrong = {
        email: (sorted(home), sorted(regions.get(email, ())))
        for email, home in homes.items()
        if len(home) != 1 or not regions.get(email, set()) <= {r for _p, r in home}
    }
    assert wrong == {}
    demo_places = {
        place for _e, c, place, level, _r in rows if c in DEMO_COUNCILS and level == "local"
    }
    assert demo_places == {"manchester", "salford", "liverpool", "leeds"}
    lives = [place for home in homes.values() for place, _r in home if place in demo_places]
    assert lives.count("manchester") > len(lives) / 2
    # and every demo council has members of all five constituencies, for its weighted votes
    held = demo.db.session.execute(
        sa.select(Council.slug, Membership.constituency)
        .join(Membership, Membership.council_id == Council.id)
        .where(Council.slug.in_(DEMO_COUNCILS), Membership.status == "active")
        .distinct()
    ).all()
    five = {"citizen", "employee", "leader", "elected", "partner"}
    assert {slug for slug, _c in held} == set(DEMO_COUNCILS)
    assert {s: {c for slug, c in held if slug == s} for s in DEMO_COUNCILS} == dict.fromkeys(
        DEMO_COUNCILS, five
    )


def test_nobody_opens_the_demo_to_a_wall_of_unread_notifications(demo):
    from participate.accounts.models import User
    from participate.notifications.services import unread_count

    for role in ("citizen", "employee", "leader", "elected", "clerk", "minister"):
        user = demo.db.session.scalar(sa.select(User).where(User.email == f"{role}@example.org"))
        assert 1 <= unread_count(user.id) <= 30, (role, unread_count(user.id))


def test_every_demo_notification_is_a_sentence(demo):
    from participate.notifications.mailing import sentence
    from participate.notifications.models import Notification

    bad = set()
    for (text,) in demo.db.session.execute(sa.select(Notification.text).distinct()):
        said = sentence(text)
        if (
            re.search(r"\*\*|\]\(|`|\(s\)| is now in (closed|outcome|voting)\b", said)
            or said[-1] not in ".?!”"
        ):
            bad.add(text)
    assert sorted(bad) == []


def test_the_closed_rounds_texts_are_about_its_agenda(demo):
    """Its questions, comments and amendment were written for two proposals: those are the
    ones on its agenda (they spoke of GP hubs under the A&E item)."""
    from participate.rounds.models import Round
    from participate.seed.rounds_text import CLOSED

    round_ = demo.db.session.scalar(sa.select(Round).where(Round.title == CLOSED["title"]))
    titles = tuple(i.title for i in sorted(round_.items, key=lambda i: i.position))
    assert titles == CLOSED["subjects"]
    assert round_.phase == "closed" and round_.minutes


def test_the_story_is_told_over_months_not_at_one_moment(demo):
    from participate.accounts.models import User
    from participate.audit.models import AuditEvent
    from participate.notifications.models import Notification

    def span(column, *where):
        first, last = demo.db.session.execute(
            sa.select(sa.func.min(column), sa.func.max(column)).where(*where)
        ).one()
        return last - first

    for role in ("citizen", "employee", "leader", "elected", "clerk", "minister"):
        user = demo.db.session.scalar(sa.select(User).where(User.email == f"{role}@example.org"))
        told = span(Notification.created_at, Notification.user_id == user.id)
        assert told > timedelta(days=30), (role, told)
    assert span(AuditEvent.created_at) > timedelta(days=90)


def test_the_audit_log_reads_in_the_order_things_happened(demo):
    from participate.audit.models import AuditEvent
    from participate.audit.services import verify_chain

    times = demo.db.session.scalars(sa.select(AuditEvent.created_at).order_by(AuditEvent.seq)).all()
    assert times == sorted(times)
    assert verify_chain().ok


def test_each_thing_happens_after_what_it_needs(demo):
    """Members join before they write, comment or support; comments and supports come after
    their proposal; signatures after their petition opened; a round's phases in order."""
    from participate.councils.models import Membership
    from participate.petitions.models import Petition, Signature
    from participate.proposals.models import Comment, Proposal, Support
    from participate.rounds.models import PhaseChange

    def count(query):
        return demo.db.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))

    def joined(user_column, council_column, at):
        return sa.and_(
            Membership.user_id == user_column,
            Membership.council_id == council_column,
            Membership.decided_at > at,
        )

    early = {
        "proposals before their author joined": sa.select(Proposal.id).join(
            Membership, joined(Proposal.author_id, Proposal.council_id, Proposal.created_at)
        ),
        "comments before their author joined": sa.select(Comment.id)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .join(Membership, joined(Comment.author_id, Proposal.council_id, Comment.created_at)),
        "comments before their proposal": sa.select(Comment.id)
        .join(Proposal, Proposal.id == Comment.proposal_id)
        .where(Comment.created_at < Proposal.created_at),
        "supports before their proposal": sa.select(Support.proposal_id)
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(Support.created_at < Proposal.created_at),
        "signatures before their petition opened": sa.select(Signature.id)
        .join(Petition, Petition.id == Signature.petition_id)
        .where(Signature.created_at < Petition.opened_at),
    }
    assert {name: count(query) for name, query in early.items()} == dict.fromkeys(early, 0)
    earlier = sa.orm.aliased(PhaseChange)
    out_of_order = sa.select(PhaseChange.id).join(
        earlier,
        sa.and_(
            earlier.round_id == PhaseChange.round_id,
            earlier.id < PhaseChange.id,
            earlier.at > PhaseChange.at,
        ),
    )
    assert count(out_of_order) == 0
