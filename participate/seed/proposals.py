"""Demo proposals (``participate seed``).

Every demo council gets six proposals, one or more in each status, with threaded discussion in
all four stances from at least three constituencies, supports, and in Manchester's health and
care council the full story: an accepted, a declined and a pending amendment, a hidden comment
with its reason and an appeal, and a flag waiting in the clerk's (clerk@example.org) queue.
Every other council gets one or two proposals, so none is empty. Manchester's flagship thread
is in ``proposals_story``; the benchmark threads of ``--scale N`` in ``scale/proposals``.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from participate.accounts.models import User
from participate.audit.services import record_event
from participate.councils.models import Council, Membership
from participate.councils.services import clerks_of
from participate.extensions import db
from participate.markup import render_markdown
from participate.proposals import services
from participate.proposals.models import (
    Comment,
    Follow,
    Proposal,
    ProposalTheme,
    ProposalVersion,
    Support,
)
from participate.seed.context import DEMO_COUNCILS
from participate.seed.proposals_story import manchester_story
from participate.seed.proposals_text import (
    FORUM,
    HEALTH,
    OTHER,
    REPLIES,
    REPLY_STANCE,
    SCHOOLS,
    STANCE_BANK,
)
from participate.seed.proposals_threads import PLAN, comment, fill, said_at, support

ROUND_NOTE = "Put on the agenda of the council's spring deliberation round."
DECISIONS = {
    "adopted": "Adopted at the spring round: 68% weighted support, a majority in every "
    "constituency that took part.",
    "rejected": "Rejected at the spring round: 41% weighted support; employees and service "
    "leaders voted against. The council asked for a costed version.",
}
WITHDRAWN = "Withdrawn: the trust has agreed to do this anyway from April, so no vote is needed."


def seed(ctx) -> None:
    users = {u.id: u for u in db.session.scalars(sa.select(User))}
    count = 0
    for index, slug in enumerate(DEMO_COUNCILS):
        if slug in ctx.councils:
            count += _demo_council(ctx, ctx.councils[slug], index, users)
    count += _other_councils(ctx)
    ctx.summary["proposals"] = count
    ctx.summary["proposal comments"] = db.session.scalar(
        sa.select(sa.func.count()).select_from(Comment)
    )


# ---------------------------------------------------------------- demo councils


def _bank(council: Council):
    if council.service is None:
        return FORUM
    return SCHOOLS if council.service.slug == "schools" else HEALTH


def _demo_council(ctx, council: Council, index: int, users: dict) -> int:
    memberships = ctx.members_of(council.slug)
    by_constituency: dict[str, list[User]] = {}
    for m in memberships:
        by_constituency.setdefault(m.constituency, []).append(users[m.user_id])
    members = [users[m.user_id] for m in memberships]
    clerk_rows = clerks_of(council)
    clerk = users.get(clerk_rows[0].user_id) if clerk_rows else None
    bank = _bank(council)
    start = ctx.when(days_ago=120)
    made = 0
    manchester = council.slug == "health-manchester"
    for slot, status in enumerate(PLAN):
        when = start + timedelta(days=slot * 12 + ctx.rng.randint(0, 6))
        # Manchester's last proposal is the flagship (HEALTH[0]); its others come after it.
        title, body, themes = bank[(1 + slot) if manchester else (index * 2 + slot) % len(bank)]
        title, body = fill(title, council), fill(body, council)
        author = _pick_author(ctx, by_constituency, slot)
        if not manchester:
            # Written straight into the tables (the services' path is exercised in Manchester).
            _quick_thread(
                ctx,
                council,
                author,
                (title, body, themes),
                status,
                by_constituency,
                members,
                clerk,
                when,
            )
        elif slot == len(PLAN) - 1:
            manchester_story(ctx, council, clerk, by_constituency, members, start)
        else:
            # Through the services, each step on the story clock: comments every nine hours,
            # supports the next day, the decision three days after the discussion.
            with ctx.at(when):
                proposal = services.create_proposal(
                    author, council, title=title, body=body, themes=themes
                )
            said = _discuss(ctx, proposal, by_constituency, n=ctx.rng.randint(6, 10), start=when)
            if status != "withdrawn":
                with ctx.at(when + timedelta(days=1)):
                    support(ctx, proposal, members, ctx.rng.randint(4, 14))
            with ctx.at(said_at(when, len(said)) + timedelta(days=3)):
                _finish(proposal, status, author, clerk)
        made += 1
    return made


_HTML: dict[str, str] = {}


def _html(text: str) -> str:
    if text not in _HTML:
        _HTML[text] = render_markdown(text)
    return _HTML[text]


def _quick_thread(ctx, council, author, content, status, by_constituency, members, clerk, when):
    """A whole thread in a few bulk statements: proposal, themes, version, comments (with
    replies), supports, follows and its status (with the audit events a clerk's change makes)."""
    rng = ctx.rng
    title, body, themes = content
    n = rng.randint(6, 10)
    stances = ["for", "against", "question", "neutral"] + [
        rng.choice(["for", "for", "against", "neutral", "question"]) for _ in range(n - 4)
    ]
    supporters = (
        [] if status == "withdrawn" else rng.sample(members, min(len(members), rng.randint(4, 14)))
    )
    decided = said_at(when, n) + timedelta(days=3)
    proposal = Proposal(
        council_id=council.id,
        author_id=author.id,
        author_constituency=_constituency(by_constituency, author),
        title=title,
        body=body,
        body_html=_html(body),
        status=status,
        status_reason={"on_agenda": ROUND_NOTE, "withdrawn": WITHDRAWN}.get(status)
        or DECISIONS.get(status, ""),
        status_changed_at=decided if status != "open" else None,
        supports_count=len(supporters),
        comments_count=n,
        created_at=when,
        updated_at=when,
    )
    db.session.add(proposal)
    db.session.flush()
    theme_list = themes.split(", ")
    db.session.execute(
        sa.insert(ProposalTheme),
        [{"proposal_id": proposal.id, "theme": t, "council_id": council.id} for t in theme_list],
    )
    db.session.add(
        ProposalVersion(
            proposal_id=proposal.id,
            number=1,
            title=title,
            body=body,
            themes=" ".join(sorted(theme_list)),
            author_id=author.id,
            note="First version",
            created_at=when,
        )
    )
    commenters = _commenters(ctx, by_constituency, n)
    ids: list[tuple[int, str]] = []
    for i, (user, stance) in enumerate(zip(commenters, stances, strict=True)):
        parent = rng.choice(ids) if ids and i >= 4 and rng.random() < 0.45 else None
        text = rng.choice(REPLIES[parent[1]]) if parent else rng.choice(STANCE_BANK[stance])
        if parent:
            stance = REPLY_STANCE[parent[1]]
        cid = db.session.scalar(
            sa.insert(Comment)
            .values(
                proposal_id=proposal.id,
                parent_id=parent[0] if parent else None,
                author_id=user.id,
                author_constituency=_constituency(by_constituency, user),
                stance=stance,
                body=text,
                body_html=_html(text),
                created_at=said_at(when, i),
            )
            .returning(Comment.id)
        )
        ids.append((cid, stance))
    if supporters:
        db.session.execute(
            sa.insert(Support),
            [
                {
                    "proposal_id": proposal.id,
                    "user_id": u.id,
                    "constituency": _constituency(by_constituency, u),
                    "created_at": when + timedelta(days=1),
                }
                for u in supporters
            ],
        )
    # Each follows from their first part in the thread: writing, commenting or supporting.
    followed = {author.id: when}
    for i, user in enumerate(commenters):
        followed.setdefault(user.id, said_at(when, i))
    for user in supporters:
        at = when + timedelta(days=1)
        followed[user.id] = min(followed.get(user.id, at), at)
    db.session.execute(
        sa.insert(Follow),
        [
            {"proposal_id": proposal.id, "user_id": uid, "created_at": followed[uid]}
            for uid in sorted(followed)
        ],
    )
    steps = {
        "on_agenda": ["on_agenda"],
        "adopted": ["on_agenda", "adopted"],
        "rejected": ["on_agenda", "rejected"],
    }
    previous = "open"
    for step in steps.get(status, ["withdrawn"] if status == "withdrawn" else []):
        with ctx.at(decided):  # the audit event is stamped as it is chained
            record_event(
                f"proposal.{step}",
                actor=author if step == "withdrawn" else clerk,
                council=council.id,
                subject=proposal,
                data={
                    "from": previous,
                    "to": step,
                    "reason": ROUND_NOTE if step == "on_agenda" else proposal.status_reason,
                    "title": title,
                },
            )
        previous = step
    db.session.commit()


def _constituency(by_constituency, user) -> str:
    for constituency, group in by_constituency.items():
        if user in group:
            return constituency
    return "citizen"


def _pick_author(ctx, by_constituency, slot: int) -> User:
    order = ["citizen", "employee", "leader", "elected", "partner", "citizen", "employee"]
    pool = by_constituency.get(order[slot]) or by_constituency.get("citizen") or []
    pool = pool or [u for group in by_constituency.values() for u in group]
    return ctx.rng.choice(pool)


def _commenters(ctx, by_constituency, n: int) -> list[User]:
    """n commenters cycling through the constituencies present (at least three of them)."""
    groups = [g for c, g in sorted(by_constituency.items()) if g]
    return [ctx.rng.choice(groups[i % len(groups)]) for i in range(n)]


def _discuss(ctx, proposal: Proposal, by_constituency, n: int, start) -> list[Comment]:
    """n comments, the i-th written 5 + 9i hours after ``start``."""
    stances = ["for", "against", "question", "neutral"] + [
        ctx.rng.choice(["for", "for", "against", "neutral", "question"]) for _ in range(n - 4)
    ]
    comments: list[Comment] = []
    for i, (user, stance) in enumerate(
        zip(_commenters(ctx, by_constituency, n), stances, strict=True)
    ):
        parent = None
        if comments and i >= 4 and ctx.rng.random() < 0.45:
            parent = ctx.rng.choice(comments)
            text = ctx.rng.choice(REPLIES[parent.stance])
            stance = REPLY_STANCE[parent.stance]
        else:
            text = ctx.rng.choice(STANCE_BANK[stance])
        comments.append(comment(ctx, proposal, start, i, user, stance, text, parent))
    return comments


def _finish(proposal: Proposal, status: str, author: User, clerk) -> None:
    if status == "withdrawn":
        services.withdraw_proposal(author, proposal, reason=WITHDRAWN)
    elif status != "open":
        services.set_status(clerk, proposal, "on_agenda", reason=ROUND_NOTE)
        if status in DECISIONS:
            services.set_status(clerk, proposal, status, reason=DECISIONS[status])


# ---------------------------------------------------------------- the other councils


# The statuses the threads of the councils outside the demo go through, in turn.
OTHER_STATUSES = ("open", "adopted", "open", "rejected", "on_agenda", "withdrawn", "open")
OTHER_CONSTITUENCIES = ("citizen", "employee", "citizen", "leader", "elected", "partner")


def _other_councils(ctx) -> int:
    """Two or three discussed proposals in every council outside the demo, in different
    statuses, so that no council is empty and each shows how its constituencies lean.

    Their members are residents of the council's place (its region's places for a regional
    council, anywhere for a national one), six per council in at least four constituencies,
    made members here when they are not already; the threads are written straight into the
    tables, as the demo councils' are (``_quick_thread``).
    """
    if not ctx.residents:
        return 0
    users = dict(zip(ctx.resident_ids, ctx.residents, strict=True))
    # Residents' memberships so far (all active, each in the resident's one constituency).
    existing = set(
        db.session.execute(sa.select(Membership.user_id, Membership.council_id)).tuples()
    )
    others = [c for slug, c in sorted(ctx.councils.items()) if slug not in DEMO_COUNCILS]
    memberships, groups = [], []
    now = ctx.now
    joined = ctx.when(days_ago=150)
    for i, council in enumerate(others):
        by_constituency: dict[str, list[User]] = {}
        for uid in _six_of(ctx, ctx.residents_in(council), start=i * 5):
            if (uid, council.id) not in existing:
                memberships.append(
                    {
                        "user_id": uid,
                        "council_id": council.id,
                        "constituency": ctx.constituencies[uid],
                        "status": "active",
                        "role": "member",
                        "requested_at": joined,
                        "decided_at": joined,
                    }
                )
            by_constituency.setdefault(ctx.constituencies[uid], []).append(users[uid])
        groups.append((i, council, by_constituency))
    if memberships:
        db.session.execute(sa.insert(Membership), memberships)
        db.session.commit()
    made = 0
    for i, council, by_constituency in groups:
        bank = OTHER["forum" if council.service is None else council.service.slug]
        members = [u for group in by_constituency.values() for u in group]
        clerk_rows = clerks_of(council)
        clerk = db.session.get(User, clerk_rows[0].user_id) if clerk_rows else None
        for j in range(2 + (i % 2)):
            if clerk is None:  # only a clerk puts on the agenda and decides; authors withdraw
                status = ("open", "withdrawn", "open")[j]
            else:
                status = OTHER_STATUSES[(i + j) % len(OTHER_STATUSES)]
                if j == 1 and status == OTHER_STATUSES[(i + j - 1) % len(OTHER_STATUSES)]:
                    status = "withdrawn"
            title, body, themes = bank[(i + j) % len(bank)]
            when = now - timedelta(days=20 + ((i * 7 + j * 23) % 80), hours=(i + j) % 24)
            _quick_thread(
                ctx,
                council,
                _pick_author(ctx, by_constituency, j),
                (fill(title, council), fill(body, council), themes),
                status,
                by_constituency,
                members,
                clerk,
                when,
            )
            made += 1
    ctx.summary["memberships"] = ctx.summary.get("memberships", 0) + len(memberships)
    return made


def _six_of(ctx, pool: list[int], start: int) -> list[int]:
    """Six of ``pool`` (residents' ids), going round it from ``start``: for each constituency
    of OTHER_CONSTITUENCIES in turn, the first not yet chosen who holds it, or else the first
    not yet chosen (so at least four constituencies when the pool has them)."""
    if not pool:
        return []
    start %= len(pool)
    ring = pool[start:] + pool[:start]
    chosen: list[int] = []
    for constituency in OTHER_CONSTITUENCIES:
        left = [uid for uid in ring if uid not in chosen]
        if left:
            chosen.append(
                next((uid for uid in left if ctx.constituencies[uid] == constituency), left[0])
            )
    return chosen
