"""Reading a table in chunks by key, for the open-data generators."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from participate.extensions import db

CHUNK = 500

Record = dict[str, Any]


def chunks(query: sa.Select, key: sa.ColumnElement, size: int | None = None) -> Iterator[list]:
    """The rows of ``query`` in chunks of ``size`` (default ``CHUNK``), ordered by the unique
    column ``key`` (which the query must select, labelled ``_key``)."""
    size = size or CHUNK
    last = None
    while True:
        page = query.order_by(key).limit(size)
        if last is not None:
            page = page.where(key > last)
        rows = db.session.execute(page).all()
        if not rows:
            return
        yield rows
        if len(rows) < size:
            return
        last = rows[-1]._key


def grouped_counts(column, key_column, ids: list[int], *where) -> dict[int, dict[str, int]]:
    out: dict[int, dict[str, int]] = {}
    for owner, key, n in db.session.execute(
        sa.select(key_column, column, sa.func.count())
        .where(key_column.in_(ids), *where)
        .group_by(key_column, column)
    ):
        out.setdefault(owner, {})[key] = n
    return out
