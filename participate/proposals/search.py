"""Full-text search of proposals across councils: one service function, two engines.

The index is built by the migration 0002_proposals and kept current by database triggers on
``proposals`` (title, body) and ``proposal_themes``, so creating, editing and accepting an
amendment (which all write those rows) re-index in the same transaction, whatever the write
path (services, bulk seeding, ``participate import``):

- SQLite: FTS5 table ``proposal_fts`` (porter stemming, accents folded), ranked by bm25 with
  the title weighted over the themes over the body;
- PostgreSQL: ``proposal_search`` holds a weighted ``tsvector`` (title A, themes B, body C)
  with a GIN index, ranked by ts_rank.

Hidden proposals are never returned.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import sqlalchemy as sa
from markupsafe import Markup, escape

from participate.core.proposals import STATUSES
from participate.errors import DomainError
from participate.extensions import db
from participate.proposals.models import Proposal

MAX_TERMS = 12
QUERY_MAX = 200
# Table names of the index: not models, so the migration checks leave them out.
SEARCH_TABLE_PREFIXES = ("proposal_fts", "proposal_search")
_START, _STOP = "\x02", "\x03"


def is_search_table(name: str | None) -> bool:
    return bool(name) and name.startswith(SEARCH_TABLE_PREFIXES)


@dataclass
class SearchHit:
    proposal: Proposal
    snippet: Markup
    rank: float


@dataclass
class SearchResults:
    query: str
    hits: list[SearchHit]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, math.ceil(self.total / self.per_page))


def search_terms(query: str) -> list[str]:
    """The words of a query (letters and digits), lower-cased, at most `MAX_TERMS`."""
    return re.findall(r"\w+", (query or "").lower())[:MAX_TERMS]


def _highlight(snippet: str | None) -> Markup:
    text = str(escape(snippet or ""))
    marked = text.replace(_START, "<mark>").replace(_STOP, "</mark>")
    return Markup(marked)  # escaped first, then our own markers  # nosec B704


def search_proposals(
    query: str,
    *,
    council=None,
    status: str | None = None,
    page: int = 1,
    per_page: int = 20,
) -> SearchResults:
    """Proposals matching every word of ``query`` (the last word also as a prefix), best first.

    ``council`` (a Council) and ``status`` narrow the search; across all councils otherwise.
    """
    if not isinstance(query, str) or len(query) > QUERY_MAX:
        raise DomainError(f"Search with up to {QUERY_MAX} characters.", code="bad_query", field="q")
    if status and status not in STATUSES:
        raise DomainError(
            f"Unknown status {status!r}: choose one of {', '.join(STATUSES)}.",
            code="bad_status",
            field="status",
        )
    if not isinstance(page, int) or page < 1:
        raise DomainError("The page must be a whole number from 1.", code="bad_page", field="page")
    terms = search_terms(query)
    if not terms:
        return SearchResults(query, [], 0, page, per_page)
    filters = ["p.hidden_at IS NULL"]
    params: dict = {"limit": per_page, "offset": (page - 1) * per_page}
    if council is not None:
        filters.append("p.council_id = :council_id")
        params["council_id"] = council.id
    if status:
        filters.append("p.status = :status")
        params["status"] = status
    where = " AND ".join(filters)
    if db.session.get_bind().dialect.name == "postgresql":
        rows, total = _postgresql(terms, where, params)
    else:
        rows, total = _sqlite(terms, where, params)
    ids = [row.id for row in rows]
    loaded = {p.id: p for p in db.session.scalars(sa.select(Proposal).where(Proposal.id.in_(ids)))}
    hits = [
        SearchHit(loaded[row.id], _highlight(row.snip), float(row.rank))
        for row in rows
        if row.id in loaded
    ]
    return SearchResults(query, hits, total, page, per_page)


def _sqlite(terms: list[str], where: str, params: dict):
    *head, last = terms
    params["match"] = " ".join([*(f'"{t}"' for t in head), f'"{last}"*'])
    params["start"], params["stop"] = _START, _STOP
    source = (
        "FROM proposal_fts JOIN proposals p ON p.id = proposal_fts.rowid "
        f"WHERE proposal_fts MATCH :match AND {where}"
    )
    total = db.session.execute(sa.text(f"SELECT count(*) {source}"), params).scalar_one()
    rows = db.session.execute(
        sa.text(
            "SELECT p.id AS id, bm25(proposal_fts, 10.0, 4.0, 1.0) AS rank, "
            "snippet(proposal_fts, 2, :start, :stop, '…', 24) AS snip "
            f"{source} ORDER BY rank, p.id DESC LIMIT :limit OFFSET :offset"
        ),
        params,
    ).all()
    return rows, total


def _postgresql(terms: list[str], where: str, params: dict):
    *head, last = terms
    params["tsquery"] = " & ".join([*head, f"{last}:*"])
    params["options"] = (
        f"StartSel={_START}, StopSel={_STOP}, MaxWords=30, MinWords=12, MaxFragments=2, "
        'FragmentDelimiter=" … "'
    )
    source = (
        "FROM proposal_search s JOIN proposals p ON p.id = s.proposal_id, "
        "to_tsquery('english', :tsquery) q "
        f"WHERE s.document @@ q AND {where}"
    )
    total = db.session.execute(sa.text(f"SELECT count(*) {source}"), params).scalar_one()
    rows = db.session.execute(
        sa.text(
            "SELECT hit.id, hit.rank, "  # fixed fragments; every value is bound  # nosec B608
            "ts_headline('english', p.body, to_tsquery('english', :tsquery), :options) AS snip "
            f"FROM (SELECT p.id AS id, ts_rank(s.document, q) AS rank {source} "
            "ORDER BY rank DESC, p.id DESC LIMIT :limit OFFSET :offset) hit "
            "JOIN proposals p ON p.id = hit.id ORDER BY hit.rank DESC, hit.id DESC"
        ),
        params,
    ).all()
    return rows, total


def exclude_index_from_autogenerate(app) -> None:
    """Keep ``flask db check`` / autogenerate from proposing to drop the index tables."""
    migrate_config = app.extensions.get("migrate")
    if migrate_config is None:
        return
    args = migrate_config.configure_args
    previous = args.get("include_name")

    def include_name(name, type_, parent_names):
        if type_ == "table" and is_search_table(name):
            return False
        return previous(name, type_, parent_names) if previous else True

    args["include_name"] = include_name
