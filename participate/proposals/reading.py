"""Loading the proposal page in a fixed number of queries, whatever the size of the discussion.

Comments come in one query (with their authors' names by join) and the thread is built here
in Python; the page never touches a lazy relationship per comment.
"""

from __future__ import annotations

from collections import Counter, defaultdict, namedtuple
from dataclasses import dataclass, field

import sqlalchemy as sa

from participate.accounts.models import User
from participate.core import conflicts
from participate.core import proposals as rules
from participate.councils.access import Standing
from participate.councils.models import CONSTITUENCIES, CONSTITUENCY_LABELS
from participate.councils.services import members_by_constituency
from participate.extensions import db
from participate.proposals.discussion import is_following, supports
from participate.proposals.models import Amendment, Comment, Proposal
from participate.proposals.moderation_queue import hidings_by_content
from participate.proposals.services import get_proposal, supports_by_constituency
from participate.proposals.versions import themes_of

MAX_DEPTH = 5
STANCE_LABELS = {"for": "For", "against": "Against", "neutral": "Neutral", "question": "Question"}


@dataclass(slots=True)
class ThreadEntry:
    comment: Comment
    author_name: str
    depth: int
    opens: bool  # replies follow: the entry's <li> stays open around a nested list
    closes: int  # nested lists to close after this entry
    reply_to: str | None = None  # shown when the nesting is capped

    @property
    def tail_html(self) -> str:
        """What follows the entry's article: a nested list opening, or the closing tags."""
        if self.opens:
            return '<ol class="replies">'
        return "</li>" + "</ol></li>" * self.closes


def build_thread(rows: list[tuple], max_depth: int = MAX_DEPTH) -> list[ThreadEntry]:
    """Comments (oldest first) as a pre-order walk with nesting instructions for the template.

    ``rows`` are (comment, author name) pairs. Replies deeper than ``max_depth`` are shown at
    that depth, saying whom they answer.
    """
    index = {row[0].id: i for i, row in enumerate(rows)}
    children: dict[int, list[int]] = defaultdict(list)
    roots: list[int] = []
    for i, (comment, _name) in enumerate(rows):
        parent = index.get(comment.parent_id) if comment.parent_id is not None else None
        if parent is None:
            roots.append(i)
        else:
            children[parent].append(i)
    order: list[tuple[int, int]] = []
    stack = [(i, 0) for i in reversed(roots)]
    while stack:
        i, depth = stack.pop()
        order.append((i, depth))
        kids = children.get(i)
        if kids:
            child_depth = depth + 1 if depth < max_depth else max_depth
            stack.extend((k, child_depth) for k in reversed(kids))
    entries: list[ThreadEntry] = []
    last = len(order) - 1
    for n, (i, depth) in enumerate(order):
        following = order[n + 1][1] if n < last else 0
        comment, name = rows[i]
        opens = following > depth
        reply_to = None
        if depth == max_depth and comment.parent_id is not None:
            parent = index.get(comment.parent_id)
            reply_to = rows[parent][1] if parent is not None else None
        entries.append(
            ThreadEntry(comment, name, depth, opens, 0 if opens else depth - following, reply_to)
        )
    return entries


def thread_tree(rows: list[tuple[Comment, str]]) -> list[dict]:
    """The same comments as nested dicts (for the API): replies under their parent."""
    nodes: dict[int, dict] = {}
    roots: list[dict] = []
    for comment, name in rows:
        node = {
            "id": comment.id,
            "parent_id": comment.parent_id,
            "author": {"id": comment.author_id, "name": name},
            "constituency": comment.author_constituency,
            "stance": comment.stance,
            "created_at": comment.created_at.isoformat() + "Z",
            "hidden": comment.hidden_at is not None,
            "replies": [],
        }
        if comment.hidden_at is not None:
            node["hidden_reason"] = comment.hidden_reason
        else:
            node["body"] = comment.body
            node["body_html"] = comment.body_html
        nodes[comment.id] = node
        parent = nodes.get(comment.parent_id) if comment.parent_id else None
        (parent["replies"] if parent is not None else roots).append(node)
    return roots


@dataclass
class StanceRow:
    constituency: str
    counts: dict[str, int]
    total: int
    lean: str | None


@dataclass
class StanceSummary:
    rows: list[StanceRow]
    totals: dict[str, int]
    total: int
    lean: str | None
    dissent: list[StanceRow] = field(default_factory=list)

    def as_json(self) -> dict:
        return {r.constituency: dict(r.counts) for r in self.rows} | {"all": dict(self.totals)}


def _lean(counts: dict[str, int]) -> str | None:
    if counts.get("for", 0) > counts.get("against", 0):
        return "for"
    if counts.get("against", 0) > counts.get("for", 0):
        return "against"
    return None


def stance_summary(comments: list[Comment]) -> StanceSummary:
    """Visible comments' stances per constituency; ``dissent`` lists the constituencies leaning
    the other way from the discussion as a whole, so minority views are named, not buried."""
    per: dict[str, Counter] = defaultdict(Counter)
    for c in comments:
        if c.hidden_at is None:
            per[c.author_constituency][c.stance] += 1
    totals = Counter()
    for counts in per.values():
        totals.update(counts)
    rows = [
        StanceRow(
            c,
            {s: per[c][s] for s in rules.STANCES},
            sum(per[c].values()),
            _lean(per[c]),
        )
        for c in CONSTITUENCIES
        if per.get(c)
    ]
    lean = _lean(totals)
    dissent = [r for r in rows if lean and r.lean and r.lean != lean]
    return StanceSummary(
        rows, {s: totals[s] for s in rules.STANCES}, sum(totals.values()), lean, dissent
    )


@dataclass
class ProposalPage:
    proposal: Proposal
    themes: list[str]
    thread: list[ThreadEntry]
    comment_rows: list[tuple[Comment, str]]
    stances: StanceSummary
    supports: dict[str, int]
    members: dict[str, int]
    amendments: list[tuple[Amendment, str]]
    hidings: dict
    standing: Standing
    supports_it: bool
    following: bool
    can: dict[str, bool]

    @property
    def is_author(self) -> bool:
        return self.standing.user_id == self.proposal.author_id

    @property
    def stepped_aside(self) -> str | None:
        """For a clerk who wrote the proposal: why they have no hide link (core.conflicts)."""
        if not (self.standing.is_clerk and self.is_author):
            return None
        return conflicts.stepped_aside(self.standing.actor.name, "proposal", conflicts.STARTED)

    @property
    def visible_comments(self) -> int:
        return self.stances.total  # the summary counts exactly the visible comments

    @property
    def pending_amendments(self) -> list[tuple[Amendment, str]]:
        return [(a, n) for a, n in self.amendments if a.status == "pending"]

    @property
    def resolved_amendments(self) -> list[tuple[Amendment, str]]:
        return [(a, n) for a, n in self.amendments if a.status != "pending"]

    def hiding_of(self, comment: Comment | None = None):
        key = ("c", comment.id) if comment is not None else ("p", self.proposal.id)
        return self.hidings.get(key)

    def supporters_share(self) -> list[tuple[str, str, int, int]]:
        """(constituency, label, supporters, members) for each constituency with members or supports."""
        return [
            (c, CONSTITUENCY_LABELS[c], self.supports.get(c, 0), self.members.get(c, 0))
            for c in CONSTITUENCIES
            if self.members.get(c, 0) or self.supports.get(c, 0)
        ]

    def amendment_diff(self, amendment: Amendment) -> list[tuple[str, str]]:
        """A pending amendment against the current text."""
        return rules.text_diff(self.proposal.body, amendment.body)

    @property
    def total_supports(self) -> int:
        return sum(self.supports.values())

    @property
    def constituencies_supporting(self) -> int:
        return sum(1 for n in self.supports.values() if n)

    @property
    def bridging(self) -> float:
        return rules.bridging_score(self.supports, self.members)


COMMENT_COLUMNS = (
    Comment.id,
    Comment.parent_id,
    Comment.author_id,
    Comment.author_constituency,
    Comment.stance,
    Comment.body_html,
    Comment.created_at,
    Comment.hidden_at,
    Comment.hidden_reason,
)


CommentRow = namedtuple(  # noqa: PYI024 (a plain namedtuple: attribute access in C)
    "CommentRow", [c.key for c in COMMENT_COLUMNS] + ["author_name", "body"], defaults=[""]
)


def comments_with_authors(proposal_id: int, *, source: bool = False) -> list[tuple]:
    """(comment, author's name) in creation order, in one query.

    Plain named tuples rather than ORM objects: a thousand-comment page is read, never changed,
    and building identity-mapped instances (or reading SQLAlchemy rows attribute by attribute)
    would cost more than rendering them. ``source`` adds the Markdown source (the API gives it;
    the page shows only the sanitised HTML).
    """
    columns = (*COMMENT_COLUMNS, User.name, *((Comment.body,) if source else ()))
    rows = db.session.execute(
        sa.select(*columns)
        .join(User, User.id == Comment.author_id)
        .where(Comment.proposal_id == proposal_id)
        .order_by(Comment.id)
    ).all()
    return [(comment, comment.author_name) for comment in (CommentRow(*row) for row in rows)]


def amendments_with_authors(proposal_id: int) -> list[tuple[Amendment, str]]:
    return [
        (a, name)
        for a, name in db.session.execute(
            sa.select(Amendment, User.name)
            .join(User, User.id == Amendment.author_id)
            .where(Amendment.proposal_id == proposal_id)
            .order_by(Amendment.id)
        )
    ]


def _allowed(proposal: Proposal, role: str, action: str, **kwargs) -> bool:
    return rules.is_allowed(proposal.status, action, role, **kwargs)


def load_proposal_page(proposal_id: int, viewer) -> ProposalPage:
    """Everything the proposal page shows, in a fixed number of queries."""
    proposal = get_proposal(proposal_id)
    standing = Standing(viewer, proposal.council)
    rows = comments_with_authors(proposal.id)
    role = standing.role
    is_author = standing.user_id == proposal.author_id
    visible = proposal.hidden_at is None
    can = {
        "comment": visible and _allowed(proposal, role, "comment"),
        "reply": visible and _allowed(proposal, role, "reply"),
        # The author is not offered to support their own proposal (issue 15).
        "support": visible and not is_author and _allowed(proposal, role, "support"),
        "withdraw_support": _allowed(proposal, role, "withdraw_support"),
        "amend": visible and _allowed(proposal, role, "propose_amendment"),
        "resolve": _allowed(proposal, role, "resolve_amendment", is_author=is_author),
        "edit": visible and _allowed(proposal, role, "edit", is_author=is_author),
        "withdraw": _allowed(proposal, role, "withdraw", is_author=is_author),
        "flag": _allowed(proposal, role, "flag"),
        # A clerk does not moderate their own proposal (core.conflicts); their own comments
        # are left out in render_thread.
        "hide": _allowed(proposal, role, "hide") and not is_author,
        "hide_comments": _allowed(proposal, role, "hide"),
        "moderate": standing.is_clerk,
    }
    return ProposalPage(
        proposal=proposal,
        themes=themes_of([proposal.id]).get(proposal.id, []),
        thread=build_thread(rows),
        comment_rows=rows,
        stances=stance_summary([c for c, _ in rows]),
        supports=supports_by_constituency(proposal.id),
        members=members_by_constituency(proposal.council_id),
        amendments=amendments_with_authors(proposal.id),
        hidings=hidings_by_content(proposal.id),
        standing=standing,
        supports_it=supports(viewer, proposal),
        following=is_following(viewer, proposal),
        can=can,
    )
