"""rounds: deliberation rounds, their schedule and phase log, agenda, evidence and questions

Revision ID: 0005_rounds
Revises: 0002_proposals, 0003_votes, 0004_petitions (agenda items reference proposals,
petitions and motions)

A merge point rather than ``down_revision = "0001_foundation"`` with ``depends_on`` on the
three: alembic 1.20 keeps the down revision among a revision's parents next to its
dependencies, and when all three dependencies are heads it tries to delete 0001_foundation
from the version table, which is no longer there (KeyError on ``upgrade heads``).

The phase order of the schedule is a CHECK; each phase is entered at most once per round
(UNIQUE (round_id, to_phase) on round_phase_changes), so concurrent advances cannot both
record a transition.
"""

from alembic import op
import sqlalchemy as sa


revision = "0005_rounds"
down_revision = ("0002_proposals", "0003_votes", "0004_petitions")
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "rounds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("purpose", sa.Text(), nullable=False),
        sa.Column("purpose_html", sa.Text(), nullable=False),
        sa.Column("evidence", sa.Text(), server_default="", nullable=False),
        sa.Column("evidence_html", sa.Text(), server_default="", nullable=False),
        sa.Column("phase", sa.String(length=12), server_default="briefing", nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("phase_started_at", sa.DateTime(), nullable=False),
        sa.Column("briefing_ends_at", sa.DateTime(), nullable=False),
        sa.Column("discussion_ends_at", sa.DateTime(), nullable=False),
        sa.Column("refinement_ends_at", sa.DateTime(), nullable=False),
        sa.Column("voting_ends_at", sa.DateTime(), nullable=False),
        sa.Column("outcome_ends_at", sa.DateTime(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("minutes", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("minutes_version", sa.Integer(), server_default="0", nullable=False),
        sa.Column("minutes_published_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(phase = 'closed') = (closed_at IS NOT NULL)", name=op.f("ck_rounds_closed_at")
        ),
        sa.CheckConstraint(
            "minutes IS NULL OR phase = 'closed'", name=op.f("ck_rounds_minutes_when_closed")
        ),
        sa.CheckConstraint(
            "phase IN ('briefing', 'discussion', 'refinement', 'voting', 'outcome', 'closed')",
            name=op.f("ck_rounds_phase"),
        ),
        sa.CheckConstraint(
            "briefing_ends_at < discussion_ends_at AND discussion_ends_at < refinement_ends_at AND refinement_ends_at < voting_ends_at AND voting_ends_at < outcome_ends_at",
            name=op.f("ck_rounds_schedule_order"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_rounds_version")),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_rounds_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_rounds_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rounds")),
    )
    op.create_index("ix_rounds_council_phase", "rounds", ["council_id", "phase"], unique=False)

    op.create_table(
        "round_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("stored_name", sa.String(length=80), nullable=False),
        sa.Column("content_type", sa.String(length=40), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "content_type IN ('application/pdf', 'image/png', 'image/jpeg')",
            name=op.f("ck_round_attachments_content_type"),
        ),
        sa.CheckConstraint("size > 0", name=op.f("ck_round_attachments_size")),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_attachments_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"], ["users.id"], name=op.f("fk_round_attachments_uploaded_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_attachments")),
        sa.UniqueConstraint("stored_name", name=op.f("uq_round_attachments_stored_name")),
    )
    op.create_index(
        op.f("ix_round_attachments_round_id"), "round_attachments", ["round_id"], unique=False
    )

    op.create_table(
        "round_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=2000), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "url LIKE 'https://%' OR url LIKE 'http://%'", name=op.f("ck_round_links_http_url")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_links_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_links")),
    )
    op.create_index(op.f("ix_round_links_round_id"), "round_links", ["round_id"], unique=False)

    op.create_table(
        "round_phase_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("from_phase", sa.String(length=12), server_default="", nullable=False),
        sa.Column("to_phase", sa.String(length=12), nullable=False),
        sa.Column("cause", sa.String(length=10), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "cause IN ('clerk', 'schedule')", name=op.f("ck_round_phase_changes_cause")
        ),
        sa.CheckConstraint(
            "to_phase IN ('briefing', 'discussion', 'refinement', 'voting', 'outcome', 'closed')",
            name=op.f("ck_round_phase_changes_to_phase"),
        ),
        sa.ForeignKeyConstraint(
            ["actor_id"], ["users.id"], name=op.f("fk_round_phase_changes_actor_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_phase_changes_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_phase_changes")),
        sa.UniqueConstraint(
            "round_id", "to_phase", name=op.f("uq_round_phase_changes_round_id_to_phase")
        ),
    )
    op.create_table(
        "round_agenda_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=True),
        sa.Column("petition_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("merge_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("merged_at", sa.DateTime(), nullable=True),
        sa.Column("merged_by_id", sa.Integer(), nullable=True),
        sa.Column("method", sa.String(length=10), server_default="binary", nullable=False),
        sa.Column("options", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("motion_id", sa.Integer(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("reasons", sa.Text(), server_default="", nullable=False),
        sa.Column("minority_report", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(kind = 'proposal' AND proposal_id IS NOT NULL AND petition_id IS NULL) OR (kind = 'petition' AND petition_id IS NOT NULL AND proposal_id IS NULL)",
            name=op.f("ck_round_agenda_items_one_subject"),
        ),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('adopted', 'rejected', 'deferred')",
            name=op.f("ck_round_agenda_items_decision"),
        ),
        sa.CheckConstraint(
            "kind IN ('proposal', 'petition')", name=op.f("ck_round_agenda_items_kind")
        ),
        sa.CheckConstraint(
            "method <> 'schulze' OR options IS NOT NULL",
            name=op.f("ck_round_agenda_items_schulze_options"),
        ),
        sa.CheckConstraint(
            "method IN ('binary', 'schulze', 'consent')", name=op.f("ck_round_agenda_items_method")
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)",
            name=op.f("ck_round_agenda_items_decided_at"),
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR merged_into_id <> id",
            name=op.f("ck_round_agenda_items_not_merged_into_itself"),
        ),
        sa.CheckConstraint(
            "merged_into_id IS NULL OR motion_id IS NULL",
            name=op.f("ck_round_agenda_items_merged_without_motion"),
        ),
        sa.CheckConstraint("position >= 1", name=op.f("ck_round_agenda_items_position")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_round_agenda_items_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_by_id"], ["users.id"], name=op.f("fk_round_agenda_items_merged_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["round_agenda_items.id"],
            name=op.f("fk_round_agenda_items_merged_into_id_round_agenda_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["motion_id"],
            ["motions.id"],
            name=op.f("fk_round_agenda_items_motion_id_motions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["petition_id"],
            ["petitions.id"],
            name=op.f("fk_round_agenda_items_petition_id_petitions"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_round_agenda_items_proposal_id_proposals"),
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_agenda_items_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_agenda_items")),
        sa.UniqueConstraint("motion_id", name=op.f("uq_round_agenda_items_motion_id")),
        sa.UniqueConstraint(
            "round_id", "petition_id", name=op.f("uq_round_agenda_items_round_id_petition_id")
        ),
        sa.UniqueConstraint(
            "round_id", "position", name=op.f("uq_round_agenda_items_round_id_position")
        ),
        sa.UniqueConstraint(
            "round_id", "proposal_id", name=op.f("uq_round_agenda_items_round_id_proposal_id")
        ),
    )
    op.create_index(
        op.f("ix_round_agenda_items_petition_id"),
        "round_agenda_items",
        ["petition_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_round_agenda_items_proposal_id"),
        "round_agenda_items",
        ["proposal_id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_round_agenda_items_round_id"), "round_agenda_items", ["round_id"], unique=False
    )

    op.create_table(
        "round_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("round_id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_constituency", sa.String(length=20), nullable=False),
        sa.Column("phase", sa.String(length=12), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("answer", sa.Text(), server_default="", nullable=False),
        sa.Column("answer_html", sa.Text(), server_default="", nullable=False),
        sa.Column("answered_at", sa.DateTime(), nullable=True),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "(answered_at IS NULL) = (answer = '')", name=op.f("ck_round_questions_answered")
        ),
        sa.CheckConstraint(
            "author_constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_round_questions_author_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["answered_by_id"], ["users.id"], name=op.f("fk_round_questions_answered_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_round_questions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["round_agenda_items.id"],
            name=op.f("fk_round_questions_item_id_round_agenda_items"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["round_id"],
            ["rounds.id"],
            name=op.f("fk_round_questions_round_id_rounds"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_round_questions")),
    )
    op.create_index(
        "ix_round_questions_round_id", "round_questions", ["round_id", "id"], unique=False
    )


def downgrade():
    op.drop_index("ix_round_questions_round_id", table_name="round_questions")

    op.drop_table("round_questions")
    op.drop_index(op.f("ix_round_agenda_items_round_id"), table_name="round_agenda_items")
    op.drop_index(op.f("ix_round_agenda_items_proposal_id"), table_name="round_agenda_items")
    op.drop_index(op.f("ix_round_agenda_items_petition_id"), table_name="round_agenda_items")

    op.drop_table("round_agenda_items")
    op.drop_table("round_phase_changes")
    op.drop_index(op.f("ix_round_links_round_id"), table_name="round_links")

    op.drop_table("round_links")
    op.drop_index(op.f("ix_round_attachments_round_id"), table_name="round_attachments")

    op.drop_table("round_attachments")
    op.drop_index("ix_rounds_council_phase", table_name="rounds")

    op.drop_table("rounds")
