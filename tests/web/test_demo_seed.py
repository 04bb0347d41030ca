"""The demo (participate seed): every council shows discussed proposals in several statuses."""

from __future__ import annotations

import sqlalchemy as sa


def test_every_council_has_discussed_proposals_in_several_statuses(demo):
    from participate.councils.models import Council
    from participate.proposals.models import Comment, Proposal

    client, db = demo.client, demo.db
    councils = db.session.scalars(sa.select(Council)).all()
    assert len(councils) > 20

    def per_council(value, joined=False):
        query = sa.select(Proposal.council_id, value)
        if joined:
            query = query.join(Comment, Comment.proposal_id == Proposal.id)
        return dict(db.session.execute(query.group_by(Proposal.council_id)).all())

    statuses = per_council(sa.func.count(sa.distinct(Proposal.status)))
    proposals = per_council(sa.func.count())
    voices = per_council(sa.func.count(sa.distinct(Comment.author_constituency)), joined=True)
    stances = per_council(sa.func.count(sa.distinct(Comment.stance)), joined=True)
    for council in councils:
        assert proposals.get(council.id, 0) >= 2, council.slug
        assert statuses.get(council.id, 0) >= 2, council.slug
        assert voices.get(council.id, 0) >= 3, council.slug  # at least three constituencies
        assert stances.get(council.id, 0) == 4, council.slug  # for, against, neutral, question
    some = db.session.scalars(
        sa.select(Council).where(Council.slug.like("schools-%")).order_by(Council.id)
    ).first()
    page = client.get(f"/councils/{some.slug}/proposals?status=open")
    html = page.get_data(as_text=True)
    opened = db.session.scalars(
        sa.select(Proposal.title).where(Proposal.council_id == some.id, Proposal.status == "open")
    ).all()
    assert page.status_code == 200 and opened and all(t in html for t in opened)


def test_the_demo_has_one_place_forum_per_local_place(demo):
    """DESIGN §2: each local place has its place forum, ringmaster of the place's service councils."""
    from participate.councils.models import Council, ForumLink, Place

    db = demo.db
    local = set(db.session.scalars(sa.select(Place.id).where(Place.level == "local")))
    forums = db.session.scalars(sa.select(Council).where(Council.service_id.is_(None))).all()
    assert sorted(f.place_id for f in forums) == sorted(local)
    forum_of = {f.place_id: f.id for f in forums}
    ringmaster = set(
        db.session.execute(
            sa.select(ForumLink.from_council_id, ForumLink.to_council_id).where(
                ForumLink.kind == "ringmaster"
            )
        ).all()
    )
    for council in db.session.scalars(
        sa.select(Council).where(Council.service_id.is_not(None), Council.place_id.in_(local))
    ):
        assert (council.id, forum_of[council.place_id]) in ringmaster, council.slug
