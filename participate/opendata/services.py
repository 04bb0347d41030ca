"""The open-data records: one generator per file, site-wide or for one council.

Each generator (in ``deliberation`` and ``flows``) reads its table in chunks of ``CHUNK`` rows
by key (``participate.opendata.chunks``: ``WHERE id > :last ORDER BY id LIMIT n``, the same
plan on SQLite and PostgreSQL, no server-side cursor held across a yield), adds what the chunk needs from other tables in one query each, and yields plain dicts
keyed by the fields of ``participate.opendata.schema``. Nothing builds a whole file.

Only what the site already shows anyone is published: hidden proposals and comments keep
their row and public reason but not their text; draft motions, unpublished petitions and
running results are left out; ballots come from the votes feature's published, anonymised
ballot file of closed motions (``participate.votes.results.ballot_file``), so no voter
reference, seal or participation row is ever read here.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

from participate.councils.models import Council
from participate.opendata.chunks import Record
from participate.opendata.deliberation import (
    agenda_items,
    ballot_files,
    ballots,
    comments,
    motions,
    proposals,
    rounds,
)
from participate.opendata.flows import (
    consultations,
    forwards,
    petition_counts,
    petitions,
    positions,
)

__all__ = ["GENERATORS", "ballot_files", "records"]


GENERATORS: dict[str, Callable[[int | None], Iterator[Record]]] = {
    "proposals": proposals,
    "comments": comments,
    "rounds": rounds,
    "agenda_items": agenda_items,
    "motions": motions,
    "ballots": ballots,
    "petitions": petitions,
    "petition_counts": petition_counts,
    "forwards": forwards,
    "consultations": consultations,
    "positions": positions,
}


def records(dataset: str, council: Council | None = None) -> Iterator[Record]:
    """The records of one file, for one council or (``council`` None) the whole site."""
    return GENERATORS[dataset](council.id if council is not None else None)
