"""The migrations, applied to an empty database, produce exactly the models' schema."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

# Full-text search indexes are database-specific and not models (0002_proposals: the SQLite
# FTS5 table proposal_fts and its shadow tables, the PostgreSQL table proposal_search).
NOT_MODELS = ("proposal_fts", "proposal_search")


def _not_a_search_index(name, type_, parent_names):
    return not (type_ == "table" and name and name.startswith(NOT_MODELS))


def test_migrations_match_models(app, db):
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "include_name": _not_a_search_index}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == [], f"models and migrations differ; add a migration: {diff}"


def test_no_table_is_created_outside_migrations(app, db):
    import sqlalchemy as sa

    tables = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
    tables = {t for t in tables if not t.startswith(NOT_MODELS)}
    assert tables == set(db.metadata.tables)
