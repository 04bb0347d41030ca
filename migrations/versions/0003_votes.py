"""votes: motions, eligibility snapshot, participation, secret ballots, and their guards

Revision ID: 0003_votes
Revises: 0001_foundation

Besides the tables, this creates the database-level guards of DESIGN §3 (as
LiquidFeedback does), on SQLite and on PostgreSQL alike:

- ballots: no INSERT or UPDATE unless the motion is open and its closing time has not
  passed; a ballot's motion, ref, receipt and constituency never change. On PostgreSQL
  the check takes a FOR SHARE lock on the motion row, so closing (which updates that
  row first) waits for ballots in flight: each ballot is either counted or refused.
- motion_eligibility: the snapshot is written only while the motion is a draft.
- motions: once voting opened, the question, method, options, kind, rules and
  eligibility counts never change; an open motion never goes back to draft; a closed
  motion's status, result and closing time never change.
"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0003_votes"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "motions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("method", sa.String(length=10), nullable=False),
        sa.Column("kind", sa.String(length=12), server_default="ordinary", nullable=False),
        sa.Column("options", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("origin", sa.String(length=80), server_default="", nullable=False),
        sa.Column("rules", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("constitution_version", sa.Integer(), nullable=True),
        sa.Column("eligible", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("result", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("opens_at", sa.DateTime(), nullable=True),
        sa.Column("closes_at", sa.DateTime(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint("kind IN ('ordinary', 'governance')", name=op.f("ck_motions_kind")),
        sa.CheckConstraint(
            "method <> 'schulze' OR options IS NOT NULL", name=op.f("ck_motions_schulze_options")
        ),
        sa.CheckConstraint(
            "method IN ('binary', 'schulze', 'consent')", name=op.f("ck_motions_method")
        ),
        sa.CheckConstraint(
            "status <> 'closed' OR (result IS NOT NULL AND closed_at IS NOT NULL)",
            name=op.f("ck_motions_closed_with_result"),
        ),
        sa.CheckConstraint(
            "status = 'draft' OR (rules IS NOT NULL AND eligible IS NOT NULL AND opens_at IS NOT NULL)",
            name=op.f("ck_motions_opened_with_rules"),
        ),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_motions_status")),
        sa.CheckConstraint(
            "closes_at IS NULL OR opens_at IS NULL OR closes_at > opens_at",
            name=op.f("ck_motions_closes_after_opening"),
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_motions_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_motions_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_motions")),
    )
    with op.batch_alter_table("motions", schema=None) as batch_op:
        batch_op.create_index("ix_motions_council_status", ["council_id", "status"], unique=False)

    op.create_table(
        "ballots",
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("ref", sa.String(length=64), nullable=False),
        sa.Column("receipt", sa.String(length=24), nullable=False),
        sa.Column("constituency", sa.String(length=20), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=True),
        sa.Column("ranking", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "(choice = 'object' AND reason IS NOT NULL AND reason <> '') OR ((choice IS NULL OR choice <> 'object') AND reason IS NULL)",
            name=op.f("ck_ballots_reason_with_objection"),
        ),
        sa.CheckConstraint(
            "choice IS NULL OR choice IN ('yes', 'no', 'abstain', 'consent', 'object')",
            name=op.f("ck_ballots_choice"),
        ),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_ballots_constituency"),
        ),
        sa.CheckConstraint(
            "(choice IS NULL) <> (ranking IS NULL)", name=op.f("ck_ballots_choice_or_ranking")
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["motions.id"],
            name=op.f("fk_ballots_motion_id_motions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("motion_id", "ref", name=op.f("pk_ballots")),
        sa.UniqueConstraint("receipt", name=op.f("uq_ballots_receipt")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "motion_eligibility",
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("constituency", sa.String(length=20), nullable=False),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_motion_eligibility_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["motions.id"],
            name=op.f("fk_motion_eligibility_motion_id_motions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_motion_eligibility_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("motion_id", "user_id", name=op.f("pk_motion_eligibility")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("motion_eligibility", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_motion_eligibility_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "motion_participation",
        sa.Column("motion_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["motions.id"],
            name=op.f("fk_motion_participation_motion_id_motions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_motion_participation_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("motion_id", "user_id", name=op.f("pk_motion_participation")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("motion_participation", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_motion_participation_user_id"), ["user_id"], unique=False
        )

    _create_guards()


def downgrade():
    _drop_guards()
    with op.batch_alter_table("motion_participation", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_motion_participation_user_id"))

    op.drop_table("motion_participation")
    with op.batch_alter_table("motion_eligibility", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_motion_eligibility_user_id"))

    op.drop_table("motion_eligibility")
    op.drop_table("ballots")
    with op.batch_alter_table("motions", schema=None) as batch_op:
        batch_op.drop_index("ix_motions_council_status")

    op.drop_table("motions")


# ---------------------------------------------------------------- guards

_SQLITE_NOW = "strftime('%Y-%m-%d %H:%M:%f', 'now')"

_SQLITE_BALLOT_OPEN = f"""
NOT EXISTS (SELECT 1 FROM motions WHERE motions.id = NEW.motion_id AND motions.status = 'open'
            AND (motions.closes_at IS NULL OR motions.closes_at > {_SQLITE_NOW}))
"""

_SQLITE = [
    f"""CREATE TRIGGER ballots_open_only_insert BEFORE INSERT ON ballots
FOR EACH ROW WHEN {_SQLITE_BALLOT_OPEN}
BEGIN SELECT RAISE(ABORT, 'ballot_refused: voting on this motion is not open'); END""",
    f"""CREATE TRIGGER ballots_open_only_update BEFORE UPDATE ON ballots
FOR EACH ROW WHEN {_SQLITE_BALLOT_OPEN}
  OR NEW.motion_id IS NOT OLD.motion_id OR NEW.ref IS NOT OLD.ref
  OR NEW.receipt IS NOT OLD.receipt OR NEW.constituency IS NOT OLD.constituency
BEGIN SELECT RAISE(ABORT, 'ballot_refused: voting on this motion is not open, or the change touches what never changes'); END""",
    """CREATE TRIGGER motion_eligibility_frozen_insert BEFORE INSERT ON motion_eligibility
FOR EACH ROW WHEN (SELECT status FROM motions WHERE id = NEW.motion_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, 'eligibility_frozen: the eligible voters were fixed when voting opened'); END""",
    """CREATE TRIGGER motion_eligibility_frozen_update BEFORE UPDATE ON motion_eligibility
FOR EACH ROW WHEN (SELECT status FROM motions WHERE id = OLD.motion_id) IS NOT 'draft'
  OR (SELECT status FROM motions WHERE id = NEW.motion_id) IS NOT 'draft'
BEGIN SELECT RAISE(ABORT, 'eligibility_frozen: the eligible voters were fixed when voting opened'); END""",
    """CREATE TRIGGER motions_frozen BEFORE UPDATE ON motions
FOR EACH ROW WHEN (OLD.status <> 'draft' AND (
      NEW.council_id IS NOT OLD.council_id OR NEW.title IS NOT OLD.title
      OR NEW.description IS NOT OLD.description OR NEW.method IS NOT OLD.method
      OR NEW.kind IS NOT OLD.kind OR NEW.options IS NOT OLD.options
      OR NEW.rules IS NOT OLD.rules OR NEW.eligible IS NOT OLD.eligible
      OR NEW.constitution_version IS NOT OLD.constitution_version
      OR NEW.opens_at IS NOT OLD.opens_at))
  OR (OLD.status = 'open' AND NEW.status = 'draft')
  OR (OLD.status = 'closed' AND (NEW.status IS NOT 'closed' OR NEW.result IS NOT OLD.result
      OR NEW.closed_at IS NOT OLD.closed_at))
BEGIN SELECT RAISE(ABORT, 'motion_frozen: a motion''s question and rules never change once voting opened, and a closed motion stays closed'); END""",
]

_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS ballots_open_only_insert",
    "DROP TRIGGER IF EXISTS ballots_open_only_update",
    "DROP TRIGGER IF EXISTS motion_eligibility_frozen_insert",
    "DROP TRIGGER IF EXISTS motion_eligibility_frozen_update",
    "DROP TRIGGER IF EXISTS motions_frozen",
]

_POSTGRESQL = [
    """CREATE FUNCTION ballots_open_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  m_status text;
  m_closes timestamp;
BEGIN
  IF TG_OP = 'UPDATE' AND (NEW.motion_id IS DISTINCT FROM OLD.motion_id
      OR NEW.ref IS DISTINCT FROM OLD.ref OR NEW.receipt IS DISTINCT FROM OLD.receipt
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
    """CREATE FUNCTION motion_eligibility_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT status FROM motions WHERE id = NEW.motion_id) IS DISTINCT FROM 'draft'
     OR (TG_OP = 'UPDATE' AND (SELECT status FROM motions WHERE id = OLD.motion_id)
         IS DISTINCT FROM 'draft') THEN
    RAISE EXCEPTION 'eligibility_frozen: the eligible voters were fixed when voting opened'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER motion_eligibility_frozen BEFORE INSERT OR UPDATE ON motion_eligibility
FOR EACH ROW EXECUTE FUNCTION motion_eligibility_frozen()""",
    """CREATE FUNCTION motions_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (OLD.status <> 'draft' AND (
        NEW.council_id IS DISTINCT FROM OLD.council_id OR NEW.title IS DISTINCT FROM OLD.title
        OR NEW.description IS DISTINCT FROM OLD.description
        OR NEW.method IS DISTINCT FROM OLD.method OR NEW.kind IS DISTINCT FROM OLD.kind
        OR NEW.options::text IS DISTINCT FROM OLD.options::text
        OR NEW.rules::text IS DISTINCT FROM OLD.rules::text
        OR NEW.eligible::text IS DISTINCT FROM OLD.eligible::text
        OR NEW.constitution_version IS DISTINCT FROM OLD.constitution_version
        OR NEW.opens_at IS DISTINCT FROM OLD.opens_at))
     OR (OLD.status = 'open' AND NEW.status = 'draft')
     OR (OLD.status = 'closed' AND (NEW.status IS DISTINCT FROM 'closed'
        OR NEW.result::text IS DISTINCT FROM OLD.result::text
        OR NEW.closed_at IS DISTINCT FROM OLD.closed_at)) THEN
    RAISE EXCEPTION 'motion_frozen: a motion''s question and rules never change once voting opened, and a closed motion stays closed'
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END $$""",
    """CREATE TRIGGER motions_frozen BEFORE UPDATE ON motions
FOR EACH ROW EXECUTE FUNCTION motions_frozen()""",
]

_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS ballots_open_only ON ballots",
    "DROP TRIGGER IF EXISTS motion_eligibility_frozen ON motion_eligibility",
    "DROP TRIGGER IF EXISTS motions_frozen ON motions",
    "DROP FUNCTION IF EXISTS ballots_open_only()",
    "DROP FUNCTION IF EXISTS motion_eligibility_frozen()",
    "DROP FUNCTION IF EXISTS motions_frozen()",
]


def _statements(create: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        return _SQLITE if create else _SQLITE_DROP
    if dialect == "postgresql":
        return _POSTGRESQL if create else _POSTGRESQL_DROP
    raise NotImplementedError(f"votes guards are written for SQLite and PostgreSQL, not {dialect}")


def _create_guards() -> None:
    for statement in _statements(create=True):
        op.execute(statement)


def _drop_guards() -> None:
    for statement in _statements(create=False):
        op.execute(statement)
