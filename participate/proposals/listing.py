"""The council's list of proposals: filters, sorts (newest, most supported, most discussed,
broadest support across constituencies) and pages, each read from an index."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

import sqlalchemy as sa

from participate.core import proposals as rules
from participate.councils.models import CONSTITUENCIES, Council
from participate.councils.services import members_by_constituency
from participate.errors import DomainError, check_choice
from participate.extensions import db
from participate.proposals.models import Proposal, ProposalTheme, Support
from participate.proposals.versions import themes_of

SORTS = {
    "newest": "Newest",
    "supported": "Most supported",
    "discussed": "Most discussed",
    "bridging": "Broadest support across constituencies",
}
PER_PAGE = 20


_DISTINCT_THEMES = sa.text(
    """
    WITH RECURSIVE seen(theme) AS (
        SELECT min(theme) FROM proposal_themes WHERE council_id = :council
        UNION ALL
        SELECT (SELECT min(t.theme) FROM proposal_themes t
                WHERE t.council_id = :council AND t.theme > seen.theme)
        FROM seen WHERE seen.theme IS NOT NULL
    )
    SELECT theme FROM seen WHERE theme IS NOT NULL
    """
)


def council_themes(council: Council) -> list[str]:
    """The themes of the council's visible proposals, for the filter (read from one index;
    themes used only by hidden proposals are left out, as their proposals are)."""
    # A loose index scan: one index seek per distinct theme, however many proposals use it.
    themes = list(db.session.scalars(_DISTINCT_THEMES, {"council": council.id}))
    hidden = sa.select(ProposalTheme.theme).join(Proposal, Proposal.id == ProposalTheme.proposal_id)
    only_hidden = set(
        db.session.scalars(
            hidden.where(
                ProposalTheme.council_id == council.id,
                ProposalTheme.theme.in_(
                    hidden.where(Proposal.council_id == council.id, Proposal.hidden_at.is_not(None))
                ),
            )
            .group_by(ProposalTheme.theme)
            .having(sa.func.sum(sa.case((Proposal.hidden_at.is_(None), 1), else_=0)) == 0)
        )
    )
    return [t for t in themes if t not in only_hidden]


@dataclass
class ListedProposal:
    proposal: Proposal
    themes: list[str]
    supports: dict[str, int]

    @property
    def constituencies_supporting(self) -> int:
        return sum(1 for n in self.supports.values() if n)


@dataclass
class ProposalListing:
    items: list[ListedProposal]
    total: int
    page: int
    per_page: int
    sort: str
    filters: dict = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def _clean_filters(status, theme, constituency, sort, page) -> tuple:
    check_choice(status, rules.STATUSES, "status")
    check_choice(constituency, CONSTITUENCIES, "constituency")
    check_choice(sort or "(none)", SORTS, "sort")  # a sort is required here
    if not isinstance(page, int) or page < 1:
        raise DomainError("The page must be a whole number from 1.", code="bad_page", field="page")
    return (status or None, rules.theme_slug(theme) if theme else None, constituency or None)


def list_proposals(
    council: Council,
    *,
    status: str | None = None,
    theme: str | None = None,
    constituency: str | None = None,
    sort: str = "newest",
    page: int = 1,
    per_page: int = PER_PAGE,
) -> ProposalListing:
    """A page of the council's visible proposals, filtered and sorted.

    ``bridging`` sorts by `participate.core.proposals.bridging_score` of each proposal's
    supporters against the council's members by constituency (DESIGN.md §5); proposals nobody
    supports share the lowest score and follow, newest first.
    """
    status, theme, constituency = _clean_filters(status, theme, constituency, sort, page)
    where = [Proposal.council_id == council.id, Proposal.hidden_at.is_(None)]
    if status:
        where.append(Proposal.status == status)
    if constituency:
        where.append(Proposal.author_constituency == constituency)
    if theme:
        where.append(
            sa.exists().where(
                ProposalTheme.proposal_id == Proposal.id, ProposalTheme.theme == theme
            )
        )
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Proposal).where(*where)) or 0
    offset = (page - 1) * per_page
    newest = (Proposal.created_at.desc(), Proposal.id.desc())
    if sort == "bridging":
        proposals = _bridging_page(council, where, offset, per_page, newest)
    else:
        order = {
            "newest": newest,
            "supported": (Proposal.supports_count.desc(), *newest),
            "discussed": (Proposal.comments_count.desc(), *newest),
        }[sort]
        proposals = list(
            db.session.scalars(
                sa.select(Proposal).where(*where).order_by(*order).offset(offset).limit(per_page)
            )
        )
    ids = [p.id for p in proposals]
    themes = themes_of(ids)
    supports: dict[int, dict[str, int]] = defaultdict(dict)
    if ids:
        for pid, c, n in db.session.execute(
            sa.select(Support.proposal_id, Support.constituency, sa.func.count())
            .where(Support.proposal_id.in_(ids))
            .group_by(Support.proposal_id, Support.constituency)
        ):
            supports[pid][c] = n
    return ProposalListing(
        items=[ListedProposal(p, themes.get(p.id, []), supports.get(p.id, {})) for p in proposals],
        total=total,
        page=page,
        per_page=per_page,
        sort=sort,
        filters={"status": status, "theme": theme, "constituency": constituency},
    )


def _bridging_page(council, where, offset: int, limit: int, newest) -> list[Proposal]:
    members = members_by_constituency(council.id)
    by_proposal: dict[int, dict[str, int]] = defaultdict(dict)
    for pid, c, n in db.session.execute(
        sa.select(Support.proposal_id, Support.constituency, sa.func.count())
        .join(Proposal, Proposal.id == Support.proposal_id)
        .where(*where)
        .group_by(Support.proposal_id, Support.constituency)
    ):
        by_proposal[pid][c] = n
    # Many proposals share a pattern of supporters ({citizen: 1}, ...): score each pattern once.
    scores: dict[tuple, float] = {}

    def rank(pid: int) -> tuple:
        counts = by_proposal[pid]
        pattern = tuple(sorted(counts.items()))
        score = scores.get(pattern)
        if score is None:
            score = scores[pattern] = rules.bridging_score(counts, members)
        return (-score, -sum(counts.values()), -pid)

    ranked = sorted(by_proposal, key=rank)
    page_ids = ranked[offset : offset + limit]
    missing = limit - len(page_ids)
    if missing > 0:
        # The rest have no supporter at all (the counter is kept in the same transaction).
        rest_offset = max(0, offset - len(ranked))
        page_ids += list(
            db.session.scalars(
                sa.select(Proposal.id)
                .where(*where, Proposal.supports_count == 0)
                .order_by(*newest)
                .offset(rest_offset)
                .limit(missing)
            )
        )
    if not page_ids:
        return []
    loaded = {
        p.id: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(page_ids)))
    }
    return [loaded[pid] for pid in page_ids if pid in loaded]
