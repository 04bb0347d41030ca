"""petitions: petitions, sponsors, signatures and their batch counters

Revision ID: 0004_petitions
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_petitions"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "petitions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("change_text", sa.Text(), nullable=False),
        sa.Column("reason_text", sa.Text(), nullable=False),
        sa.Column("change_html", sa.Text(), server_default="", nullable=False),
        sa.Column("reason_html", sa.Text(), server_default="", nullable=False),
        sa.Column("proposed_settings", sa.JSON(), nullable=True),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("sponsor_token", sa.String(length=64), nullable=True),
        sa.Column("sponsors_needed", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("sponsors_invited_at", sa.DateTime(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_at", sa.DateTime(), nullable=True),
        sa.Column("moderated_by_id", sa.Integer(), nullable=True),
        sa.Column("rejection_standard", sa.String(length=20), server_default="", nullable=False),
        sa.Column("rejection_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("opened_at", sa.DateTime(), nullable=True),
        sa.Column("signing_deadline", sa.DateTime(), nullable=True),
        sa.Column("threshold", sa.Integer(), nullable=True),
        sa.Column(
            "threshold_explanation", sa.String(length=200), server_default="", nullable=False
        ),
        sa.Column("threshold_reached_at", sa.DateTime(), nullable=True),
        sa.Column("response_due_at", sa.DateTime(), nullable=True),
        sa.Column("responded_at", sa.DateTime(), nullable=True),
        sa.Column("responded_by_id", sa.Integer(), nullable=True),
        sa.Column("response_decision", sa.String(length=20), nullable=True),
        sa.Column("response_text", sa.Text(), server_default="", nullable=False),
        sa.Column("response_html", sa.Text(), server_default="", nullable=False),
        sa.Column("response_route", sa.String(length=20), server_default="", nullable=False),
        sa.Column("response_round_id", sa.Integer(), nullable=True),
        sa.Column("response_motion_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("constitution_version_id", sa.Integer(), nullable=True),
        sa.Column("governance_motion_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('cooperative_governance', 'early_scrutiny', 'constitution_change')",
            name=op.f("ck_petitions_kind"),
        ),
        sa.CheckConstraint(
            "response_decision IS NULL OR response_decision IN ('adopted', 'partly_adopted', 'rejected')",
            name=op.f("ck_petitions_response_decision"),
        ),
        sa.CheckConstraint(
            "status <> 'closed' OR responded_at IS NOT NULL",
            name=op.f("ck_petitions_closed_answered"),
        ),
        sa.CheckConstraint(
            "status <> 'rejected' OR rejection_reason <> ''",
            name=op.f("ck_petitions_rejected_reason"),
        ),
        sa.CheckConstraint(
            "status IN ('draft', 'collecting_sponsors', 'in_moderation', 'rejected', 'open', 'threshold_reached', 'closed', 'closed_unsuccessful')",
            name=op.f("ck_petitions_status"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('open', 'threshold_reached', 'closed', 'closed_unsuccessful') OR (threshold >= 1 AND signing_deadline IS NOT NULL)",
            name=op.f("ck_petitions_published_has_threshold"),
        ),
        sa.CheckConstraint(
            "status NOT IN ('threshold_reached', 'closed') OR threshold_reached_at IS NOT NULL",
            name=op.f("ck_petitions_reached_has_time"),
        ),
        sa.CheckConstraint("sponsors_needed >= 0", name=op.f("ck_petitions_sponsors_needed")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_petitions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["constitution_version_id"],
            ["constitution_versions.id"],
            name=op.f("fk_petitions_constitution_version_id_constitution_versions"),
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_petitions_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["moderated_by_id"], ["users.id"], name=op.f("fk_petitions_moderated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["responded_by_id"], ["users.id"], name=op.f("fk_petitions_responded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petitions")),
        sa.UniqueConstraint("sponsor_token", name=op.f("uq_petitions_sponsor_token")),
    )
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_petitions_author_id"), ["author_id"], unique=False)
        batch_op.create_index("ix_petitions_council_status", ["council_id", "status"], unique=False)
        batch_op.create_index(
            "ix_petitions_status_deadline", ["status", "signing_deadline"], unique=False
        )

    op.create_table(
        "petition_counters",
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("last_signature_id", sa.Integer(), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("refreshed_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("count >= 0", name=op.f("ck_petition_counters_count")),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_counters_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("petition_id", name=op.f("pk_petition_counters")),
    )
    op.create_table(
        "petition_milestones",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.Integer(), nullable=False),
        sa.Column("is_threshold", sa.Boolean(), nullable=False),
        sa.Column("reached_at", sa.DateTime(), nullable=False),
        sa.Column("signature_id", sa.Integer(), nullable=True),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_milestones_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_milestones")),
        sa.UniqueConstraint(
            "petition_id", "milestone", name=op.f("uq_petition_milestones_petition_id_milestone")
        ),
    )
    op.create_table(
        "petition_sponsors",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_sponsors_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_petition_sponsors_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_sponsors")),
        sa.UniqueConstraint(
            "petition_id", "user_id", name=op.f("uq_petition_sponsors_petition_id_user_id")
        ),
    )
    op.create_table(
        "petition_tallies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "dimension IN ('constituency', 'place', 'hour')",
            name=op.f("ck_petition_tallies_dimension"),
        ),
        sa.CheckConstraint("count >= 0", name=op.f("ck_petition_tallies_count")),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_petition_tallies_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_petition_tallies")),
        sa.UniqueConstraint(
            "petition_id",
            "dimension",
            "key",
            name=op.f("uq_petition_tallies_petition_id_dimension_key"),
        ),
    )
    op.create_table(
        "signatures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("petition_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("constituency", sa.String(length=20), nullable=False),
        sa.Column("declaration", sa.String(length=10), nullable=False),
        sa.Column("place_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("invalidated_at", sa.DateTime(), nullable=True),
        sa.Column("invalidated_by_id", sa.Integer(), nullable=True),
        sa.Column("invalidation_reason", sa.String(length=500), server_default="", nullable=False),
        sa.CheckConstraint(
            "(invalidated_at IS NULL) = (invalidation_reason = '')",
            name=op.f("ck_signatures_invalidation_reason"),
        ),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_signatures_constituency"),
        ),
        sa.CheckConstraint(
            "declaration IN ('live', 'work', 'member')", name=op.f("ck_signatures_declaration")
        ),
        sa.ForeignKeyConstraint(
            ["invalidated_by_id"], ["users.id"], name=op.f("fk_signatures_invalidated_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_signatures_petition_id_petitions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["place_id"], ["places.id"], name=op.f("fk_signatures_place_id_places")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_signatures_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_signatures")),
        sa.UniqueConstraint(
            "petition_id", "user_id", name=op.f("uq_signatures_petition_id_user_id")
        ),
    )
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.create_index("ix_signatures_petition_id_id", ["petition_id", "id"], unique=False)


def downgrade():
    with op.batch_alter_table("signatures", schema=None) as batch_op:
        batch_op.drop_index("ix_signatures_petition_id_id")

    op.drop_table("signatures")
    op.drop_table("petition_tallies")
    op.drop_table("petition_sponsors")
    op.drop_table("petition_milestones")
    op.drop_table("petition_counters")
    with op.batch_alter_table("petitions", schema=None) as batch_op:
        batch_op.drop_index("ix_petitions_status_deadline")
        batch_op.drop_index("ix_petitions_council_status")
        batch_op.drop_index(batch_op.f("ix_petitions_author_id"))

    op.drop_table("petitions")
