"""notification settings: per-person choices per kind, digests and reminders sent (issue 16)

``notifications.mailed_at`` records when a notification went out by e-mail (at once or in a
digest), so the daily digest picks only what was not mailed. ``users.email_notifications``
stays: it is the switch for all e-mail (off: none at all), which an "all e-mail"
unsubscribe link turns off; the per-kind choices apply while it is on.

Revision ID: 0011_notification_settings
Revises: 0001_foundation
"""

import sqlalchemy as sa
from alembic import op

revision = "0011_notification_settings"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "notification_settings",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("delivery", sa.String(length=10), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "delivery IN ('immediate', 'digest', 'off')",
            name=op.f("ck_notification_settings_delivery"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_settings_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", "kind", name=op.f("pk_notification_settings")),
    )
    op.create_table(
        "notification_digests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_digests_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_digests")),
        sa.UniqueConstraint("user_id", "day", name=op.f("uq_notification_digests_user_id_day")),
    )
    op.create_table(
        "notification_reminders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=60), nullable=False),
        sa.Column("sent_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notification_reminders_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_notification_reminders")),
        sa.UniqueConstraint(
            "user_id",
            "kind",
            "subject",
            name=op.f("uq_notification_reminders_user_id_kind_subject"),
        ),
    )
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.add_column(sa.Column("mailed_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_notifications_created_at", ["created_at"], unique=False)


def downgrade():
    with op.batch_alter_table("notifications") as batch_op:
        batch_op.drop_index("ix_notifications_created_at")
        batch_op.drop_column("mailed_at")
    op.drop_table("notification_reminders")
    op.drop_table("notification_digests")
    op.drop_table("notification_settings")
