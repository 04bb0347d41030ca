"""sealed ballots: choices and receipts sealed with the server's key (DESIGN §3)

The ballot row and the participation row of one cast are written in one request, so
what a database keeps about a write (PostgreSQL's xmin, physical row order, a dump's
order) can join them. From this revision the ballot row holds nothing readable: the
choice, ranking and reason are one fixed-length AES-GCM seal (``sealed``), the receipt is
sealed too (``receipt_sealed``) and found by ``receipt_digest`` (an HMAC), and the minute
of the last change (``updated_at``) is gone. Existing ballots are sealed here with the
app's SECRET_KEY, so run ``participate init`` with the
production key. Old plaintext may linger in free database pages until PostgreSQL's
VACUUM FULL or SQLite's VACUUM rewrites them: run one after upgrading.

Revision ID: 0007_sealed_ballots
Revises: 0003_votes
"""

import sqlalchemy as sa
from alembic import op

revision = "0007_sealed_ballots"
down_revision = "0003_votes"
branch_labels = None
depends_on = None

_SQLITE_OPEN = """
NOT EXISTS (SELECT 1 FROM motions WHERE motions.id = NEW.motion_id AND motions.status = 'open'
            AND (motions.closes_at IS NULL OR motions.closes_at > strftime('%Y-%m-%d %H:%M:%f', 'now')))
"""


def _sqlite_triggers(receipt_columns):
    changed = " OR ".join(f"NEW.{c} IS NOT OLD.{c}" for c in receipt_columns)
    return [
        f"""CREATE TRIGGER ballots_open_only_insert BEFORE INSERT ON ballots
FOR EACH ROW WHEN {_SQLITE_OPEN}
BEGIN SELECT RAISE(ABORT, 'ballot_refused: voting on this motion is not open'); END""",
        f"""CREATE TRIGGER ballots_open_only_update BEFORE UPDATE ON ballots
FOR EACH ROW WHEN {_SQLITE_OPEN}
  OR NEW.motion_id IS NOT OLD.motion_id OR NEW.ref IS NOT OLD.ref
  OR {changed} OR NEW.constituency IS NOT OLD.constituency
BEGIN SELECT RAISE(ABORT, 'ballot_refused: voting on this motion is not open, or the change touches what never changes'); END""",
    ]


def _postgresql_triggers(receipt_columns):
    changed = " OR ".join(f"NEW.{c} IS DISTINCT FROM OLD.{c}" for c in receipt_columns)
    return [
        f"""CREATE FUNCTION ballots_open_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m_status text;
  m_closes timestamp;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.motion_id IS DISTINCT FROM OLD.motion_id
      OR NEW.ref IS DISTINCT FROM OLD.ref OR {changed}
      OR NEW.constituency IS DISTINCT FROM OLD.constituency) THEN
    RAISE EXCEPTION 'ballot_refused: a ballot''s motion, ref, receipt and constituency never change'
      USING ERRCODE = 'check_violation';
  END IF;
  -- FOR SHARE: closing updates the motion row first, so it waits for ballots in flight,
  -- and a ballot that comes after it waits for the close and then sees 'closed'.
  SELECT status, closes_at INTO m_status, m_closes FROM motions WHERE id = NEW.motion_id FOR SHARE;
  IF m_status IS DISTINCT FROM 'open'
     OR (m_closes IS NOT NULL AND m_closes <= (clock_timestamp() AT TIME ZONE 'UTC')) THEN
    RAISE EXCEPTION 'ballot_refused: voting on motion % is not open', NEW.motion_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$""",
        """CREATE TRIGGER ballots_open_only BEFORE INSERT OR UPDATE ON ballots
FOR EACH ROW EXECUTE FUNCTION ballots_open_only()""",
    ]


def _drop_triggers(dialect):
    if dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS ballots_open_only ON ballots")
        op.execute("DROP FUNCTION IF EXISTS ballots_open_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ballots_open_only_insert")
        op.execute("DROP TRIGGER IF EXISTS ballots_open_only_update")


def _create_triggers(dialect, receipt_columns):
    make = _postgresql_triggers if dialect == "postgresql" else _sqlite_triggers
    for statement in make(receipt_columns):
        op.execute(statement)


_OLD = sa.table(
    "ballots",
    sa.column("motion_id", sa.Integer),
    sa.column("ref", sa.String),
    sa.column("receipt", sa.String),
    sa.column("constituency", sa.String),
    sa.column("choice", sa.String),
    sa.column("ranking", sa.JSON),
    sa.column("reason", sa.Text),
)
_MOTIONS = sa.table(
    "motions", sa.column("id", sa.Integer), sa.column("method"), sa.column("options", sa.JSON)
)


def _sealed_rows(connection):
    """Every existing ballot, sealed with the app's key (as the cast path seals them)."""
    from participate.votes import seal

    rows = connection.execute(
        sa.select(_OLD, _MOTIONS.c.method, _MOTIONS.c.options).join(
            _MOTIONS, _MOTIONS.c.id == _OLD.c.motion_id
        )
    ).all()
    for row in rows:
        yield {
            "motion_id": row.motion_id,
            "ref": row.ref,
            "constituency": row.constituency,
            "receipt_digest": seal.receipt_digest(row.receipt),
            "receipt_sealed": seal.seal_receipt(
                row.receipt, row.motion_id, row.ref, row.constituency
            ),
            "sealed": seal.seal_choice(
                row.method,
                row.options,
                row.motion_id,
                row.ref,
                row.constituency,
                choice=row.choice,
                ranking=row.ranking,
                reason=row.reason,
            ),
        }


def _new_table(name):
    return op.create_table(
        name,
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("receipt_digest", sa.String(length=64), nullable=False),
        sa.Column("receipt_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("constituency", sa.String(length=20), nullable=False),
        sa.Column("sealed", sa.LargeBinary(), nullable=False),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_ballots_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["motions.id"],
            name=op.f("fk_ballots_motion_id_motions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("motion_id", "ref", name=op.f("pk_ballots")),
        sa.UniqueConstraint("receipt_digest", name=op.f("uq_ballots_receipt_digest")),
        sqlite_with_rowid=False,
    )


def upgrade():
    connection = op.get_bind()
    dialect = connection.dialect.name
    _drop_triggers(dialect)
    sealed = list(_sealed_rows(connection))
    if dialect == "postgresql":
        op.drop_constraint(op.f("ck_ballots_choice"), "ballots", type_="check")
        op.drop_constraint(op.f("ck_ballots_choice_or_ranking"), "ballots", type_="check")
        op.drop_constraint(op.f("ck_ballots_reason_with_objection"), "ballots", type_="check")
        op.drop_constraint(op.f("uq_ballots_receipt"), "ballots", type_="unique")
        op.execute("DELETE FROM ballots")  # the sealed rows come back below, in new order
        for column in ("receipt", "choice", "ranking", "reason", "updated_at"):
            op.drop_column("ballots", column)
        op.add_column("ballots", sa.Column("receipt_digest", sa.String(64), nullable=False))
        op.add_column("ballots", sa.Column("receipt_sealed", sa.LargeBinary(), nullable=False))
        op.add_column("ballots", sa.Column("sealed", sa.LargeBinary(), nullable=False))
        op.create_unique_constraint(
            op.f("uq_ballots_receipt_digest"), "ballots", ["receipt_digest"]
        )
        table = sa.table(
            "ballots",
            *(sa.column(c) for c in ("motion_id", "ref", "constituency", "receipt_digest")),
            sa.column("receipt_sealed", sa.LargeBinary),
            sa.column("sealed", sa.LargeBinary),
        )
    else:
        op.drop_table("ballots")
        table = _new_table("ballots")
    if sealed:
        op.bulk_insert(table, sorted(sealed, key=lambda row: (row["motion_id"], row["ref"])))
    _create_triggers(dialect, ("receipt_digest", "receipt_sealed"))


def downgrade():
    raise RuntimeError(
        "0007_sealed_ballots cannot be undone: unsealing every ballot into plain columns "
        "would make choices linkable to voters again. Restore a backup taken before it."
    )
