"""jobs: outgoing mail with delivery claims, scheduled jobs' claims, one-time job effects

Mail is written to ``outgoing_mail`` in the sender's transaction and delivered after it
commits; a worker claims a row (claim_token, claimed_until) before sending, so a retry or a
second worker never sends it twice. ``job_runs`` is the claim of each scheduled job (one
row a job) and the period it last completed; ``job_effects`` records effects applied once
per subject. No foreign keys: the job engine references no other table.

Revision ID: 0010_jobs
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_jobs"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "outgoing_mail",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("subject", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("headers", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("status", sa.String(length=8), server_default="pending", nullable=False),
        sa.Column("attempts", sa.Integer(), server_default="0", nullable=False),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("sent_at", sa.DateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "status IN ('pending', 'sent', 'failed')", name=op.f("ck_outgoing_mail_status")
        ),
        sa.CheckConstraint(
            "(status = 'sent') = (sent_at IS NOT NULL)", name=op.f("ck_outgoing_mail_sent_at")
        ),
        sa.CheckConstraint("attempts >= 0", name=op.f("ck_outgoing_mail_attempts")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outgoing_mail")),
    )
    op.create_index(
        "ix_outgoing_mail_status_claimed_until",
        "outgoing_mail",
        ["status", "claimed_until"],
        unique=False,
    )
    op.create_table(
        "job_runs",
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("done_period", sa.DateTime(), nullable=True),
        sa.Column("claimed_until", sa.DateTime(), nullable=True),
        sa.Column("claim_token", sa.String(length=32), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("runs", sa.Integer(), server_default="0", nullable=False),
        sa.Column("failures", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_result", sa.Integer(), nullable=True),
        sa.Column("last_error", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "(claimed_until IS NULL) = (claim_token IS NULL)", name=op.f("ck_job_runs_claim")
        ),
        sa.CheckConstraint("runs >= 0 AND failures >= 0", name=op.f("ck_job_runs_counts")),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_job_runs")),
    )
    op.create_table(
        "job_effects",
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("applied_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("kind", "subject_id", name=op.f("pk_job_effects")),
    )


def downgrade():
    op.drop_table("job_effects")
    op.drop_table("job_runs")
    op.drop_index("ix_outgoing_mail_status_claimed_until", table_name="outgoing_mail")
    op.drop_table("outgoing_mail")
