"""proposals: proposal threads, comments, supports, amendments, moderation, full-text search

Revision ID: 0002_proposals
Revises: 0001_foundation

The full-text index is database-specific and kept current by triggers, so every write path
(services, bulk seeding, ``participate import``) indexes the same way:
- SQLite: an FTS5 table ``proposal_fts`` (rowid = proposal id; columns title, themes, body);
- PostgreSQL: ``proposal_search`` (proposal id -> weighted tsvector) with a GIN index.
Neither is a model; tests/test_migrations.py and the autogenerate filter exclude them.
"""

from alembic import op
import sqlalchemy as sa


revision = "0002_proposals"
down_revision = "0001_foundation"
branch_labels = None
depends_on = None

SQLITE_SEARCH = [
    """CREATE VIRTUAL TABLE proposal_fts USING fts5(
        title, themes, body, tokenize = 'porter unicode61 remove_diacritics 2')""",
    """CREATE TRIGGER proposal_fts_insert AFTER INSERT ON proposals BEGIN
        INSERT INTO proposal_fts(rowid, title, themes, body) VALUES (new.id, new.title, '', new.body);
    END""",
    """CREATE TRIGGER proposal_fts_update AFTER UPDATE OF title, body ON proposals BEGIN
        UPDATE proposal_fts SET title = new.title, body = new.body WHERE rowid = new.id;
    END""",
    """CREATE TRIGGER proposal_fts_delete AFTER DELETE ON proposals BEGIN
        DELETE FROM proposal_fts WHERE rowid = old.id;
    END""",
    """CREATE TRIGGER proposal_fts_theme_insert AFTER INSERT ON proposal_themes BEGIN
        UPDATE proposal_fts SET themes = coalesce((SELECT group_concat(theme, ' ')
            FROM proposal_themes WHERE proposal_id = new.proposal_id), '')
        WHERE rowid = new.proposal_id;
    END""",
    """CREATE TRIGGER proposal_fts_theme_delete AFTER DELETE ON proposal_themes BEGIN
        UPDATE proposal_fts SET themes = coalesce((SELECT group_concat(theme, ' ')
            FROM proposal_themes WHERE proposal_id = old.proposal_id), '')
        WHERE rowid = old.proposal_id;
    END""",
]

POSTGRESQL_SEARCH = [
    """CREATE TABLE proposal_search (
        proposal_id INTEGER PRIMARY KEY REFERENCES proposals(id) ON DELETE CASCADE,
        document TSVECTOR NOT NULL)""",
    "CREATE INDEX ix_proposal_search_document ON proposal_search USING GIN (document)",
    """CREATE FUNCTION proposal_search_refresh(pid INTEGER) RETURNS void LANGUAGE sql AS $$
        INSERT INTO proposal_search (proposal_id, document)
        SELECT p.id,
               setweight(to_tsvector('english', p.title), 'A')
               || setweight(to_tsvector('english', coalesce((SELECT string_agg(replace(t.theme, '-', ' '), ' ')
                    FROM proposal_themes t WHERE t.proposal_id = p.id), '')), 'B')
               || setweight(to_tsvector('english', p.body), 'C')
        FROM proposals p WHERE p.id = pid
        ON CONFLICT (proposal_id) DO UPDATE SET document = EXCLUDED.document
    $$""",
    """CREATE FUNCTION proposal_search_on_proposal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        PERFORM proposal_search_refresh(NEW.id);
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER proposal_search_proposal AFTER INSERT OR UPDATE OF title, body ON proposals
        FOR EACH ROW EXECUTE FUNCTION proposal_search_on_proposal()""",
    """CREATE FUNCTION proposal_search_on_theme() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM proposal_search_refresh(OLD.proposal_id);
        ELSE
            PERFORM proposal_search_refresh(NEW.proposal_id);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER proposal_search_theme AFTER INSERT OR DELETE ON proposal_themes
        FOR EACH ROW EXECUTE FUNCTION proposal_search_on_theme()""",
]


def _search_ddl(upgrade: bool) -> list[str]:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        if upgrade:
            return SQLITE_SEARCH
        return [
            "DROP TRIGGER IF EXISTS proposal_fts_theme_delete",
            "DROP TRIGGER IF EXISTS proposal_fts_theme_insert",
            "DROP TRIGGER IF EXISTS proposal_fts_delete",
            "DROP TRIGGER IF EXISTS proposal_fts_update",
            "DROP TRIGGER IF EXISTS proposal_fts_insert",
            "DROP TABLE IF EXISTS proposal_fts",
        ]
    if dialect == "postgresql":
        if upgrade:
            return POSTGRESQL_SEARCH
        return [
            "DROP TRIGGER IF EXISTS proposal_search_theme ON proposal_themes",
            "DROP TRIGGER IF EXISTS proposal_search_proposal ON proposals",
            "DROP FUNCTION IF EXISTS proposal_search_on_theme()",
            "DROP FUNCTION IF EXISTS proposal_search_on_proposal()",
            "DROP FUNCTION IF EXISTS proposal_search_refresh(INTEGER)",
            "DROP TABLE IF EXISTS proposal_search",
        ]
    raise RuntimeError(f"full-text search is built for SQLite and PostgreSQL, not {dialect}")


def upgrade():
    op.create_table(
        "proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_constituency", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("status_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("status_changed_at", sa.DateTime(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("supports_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("comments_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "author_constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_proposals_author_constituency"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'on_agenda', 'adopted', 'rejected', 'withdrawn')",
            name=op.f("ck_proposals_status"),
        ),
        sa.CheckConstraint("comments_count >= 0", name=op.f("ck_proposals_comments_count")),
        sa.CheckConstraint("supports_count >= 0", name=op.f("ck_proposals_supports_count")),
        sa.CheckConstraint("version >= 1", name=op.f("ck_proposals_version")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_proposals_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_proposals_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposals")),
    )
    op.create_index(op.f("ix_proposals_author_id"), "proposals", ["author_id"], unique=False)
    op.create_index(
        "ix_proposals_council_status", "proposals", ["council_id", "status"], unique=False
    )
    op.create_index(
        "ix_proposals_hidden",
        "proposals",
        ["council_id"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NOT NULL"),
        postgresql_where=sa.text("hidden_at IS NOT NULL"),
    )
    op.create_index(
        "ix_proposals_visible_comments",
        "proposals",
        ["council_id", "comments_count", "created_at"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.create_index(
        "ix_proposals_visible_constituency",
        "proposals",
        ["council_id", "author_constituency", "created_at"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.create_index(
        "ix_proposals_visible_created",
        "proposals",
        ["council_id", "created_at", "id"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.create_index(
        "ix_proposals_visible_status",
        "proposals",
        ["council_id", "status", "created_at"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.create_index(
        "ix_proposals_visible_supports",
        "proposals",
        ["council_id", "supports_count", "created_at"],
        unique=False,
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.create_table(
        "proposal_amendments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_constituency", sa.String(length=20), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("base_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="pending", nullable=False),
        sa.Column("response", sa.Text(), server_default="", nullable=False),
        sa.Column("resulting_version", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.CheckConstraint(
            "(status = 'accepted') = (resulting_version IS NOT NULL)",
            name=op.f("ck_proposal_amendments_accepted_version"),
        ),
        sa.CheckConstraint(
            "author_constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_proposal_amendments_author_constituency"),
        ),
        sa.CheckConstraint(
            "status IN ('pending', 'accepted', 'declined', 'lapsed')",
            name=op.f("ck_proposal_amendments_status"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_proposal_amendments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_amendments_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_amendments")),
    )
    op.create_index(
        op.f("ix_proposal_amendments_proposal_id"),
        "proposal_amendments",
        ["proposal_id"],
        unique=False,
    )
    op.create_table(
        "proposal_comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("parent_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("author_constituency", sa.String(length=20), nullable=False),
        sa.Column("stance", sa.String(length=10), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("body_html", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("hidden_at", sa.DateTime(), nullable=True),
        sa.Column("hidden_reason", sa.Text(), server_default="", nullable=False),
        sa.CheckConstraint(
            "author_constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_proposal_comments_author_constituency"),
        ),
        sa.CheckConstraint(
            "stance IN ('for', 'against', 'neutral', 'question')",
            name=op.f("ck_proposal_comments_stance"),
        ),
        sa.CheckConstraint(
            "parent_id IS NULL OR parent_id <> id", name=op.f("ck_proposal_comments_not_own_parent")
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_proposal_comments_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["parent_id", "proposal_id"],
            ["proposal_comments.id", "proposal_comments.proposal_id"],
            name=op.f("fk_proposal_comments_parent_id_proposal_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_comments_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_comments")),
        sa.UniqueConstraint("id", "proposal_id", name=op.f("uq_proposal_comments_id_proposal_id")),
    )
    op.create_index(
        op.f("ix_proposal_comments_author_id"), "proposal_comments", ["author_id"], unique=False
    )
    op.create_index(
        "ix_proposal_comments_proposal_created",
        "proposal_comments",
        ["proposal_id", "id"],
        unique=False,
    )
    op.create_table(
        "proposal_follows",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_follows_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_proposal_follows_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "user_id", name=op.f("pk_proposal_follows")),
    )
    op.create_index(
        op.f("ix_proposal_follows_user_id"), "proposal_follows", ["user_id"], unique=False
    )
    op.create_table(
        "proposal_supports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("constituency", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint(
            "constituency IN ('citizen', 'employee', 'leader', 'elected', 'partner')",
            name=op.f("ck_proposal_supports_constituency"),
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_supports_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_proposal_supports_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_supports")),
        sa.UniqueConstraint(
            "proposal_id", "user_id", name=op.f("uq_proposal_supports_proposal_id_user_id")
        ),
    )
    op.create_index(
        "ix_proposal_supports_proposal_constituency",
        "proposal_supports",
        ["proposal_id", "constituency"],
        unique=False,
    )
    op.create_index(
        op.f("ix_proposal_supports_user_id"), "proposal_supports", ["user_id"], unique=False
    )
    op.create_table(
        "proposal_themes",
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("theme", sa.String(length=40), nullable=False),
        sa.Column("council_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["council_id"],
            ["councils.id"],
            name=op.f("fk_proposal_themes_council_id_councils"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_themes_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("proposal_id", "theme", name=op.f("pk_proposal_themes")),
    )
    op.create_index(
        "ix_proposal_themes_council", "proposal_themes", ["council_id", "theme"], unique=False
    )
    op.create_index(
        "ix_proposal_themes_theme", "proposal_themes", ["theme", "proposal_id"], unique=False
    )
    op.create_table(
        "proposal_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("resolution", sa.String(length=10), nullable=True),
        sa.Column("resolved_at", sa.DateTime(), nullable=True),
        sa.Column("resolved_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "resolution IS NULL OR resolution IN ('hidden', 'dismissed')",
            name=op.f("ck_proposal_flags_resolution"),
        ),
        sa.CheckConstraint(
            "(resolution IS NULL) = (resolved_at IS NULL)", name=op.f("ck_proposal_flags_resolved")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["proposal_comments.id"],
            name=op.f("fk_proposal_flags_comment_id_proposal_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_flags_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["resolved_by_id"], ["users.id"], name=op.f("fk_proposal_flags_resolved_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_proposal_flags_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_flags")),
    )
    op.create_index(
        op.f("ix_proposal_flags_proposal_id"), "proposal_flags", ["proposal_id"], unique=False
    )
    op.create_index(
        "uq_proposal_flags_comment_user",
        "proposal_flags",
        ["comment_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("comment_id IS NOT NULL"),
        postgresql_where=sa.text("comment_id IS NOT NULL"),
    )
    op.create_index(
        "uq_proposal_flags_proposal_user",
        "proposal_flags",
        ["proposal_id", "user_id"],
        unique=True,
        sqlite_where=sa.text("comment_id IS NULL"),
        postgresql_where=sa.text("comment_id IS NULL"),
    )
    op.create_table(
        "proposal_hidings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("hidden_by_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("appeal", sa.Text(), server_default="", nullable=False),
        sa.Column("appealed_at", sa.DateTime(), nullable=True),
        sa.Column("decision", sa.String(length=10), nullable=True),
        sa.Column("decision_reason", sa.Text(), server_default="", nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint(
            "decision IS NULL OR decision IN ('upheld', 'reinstated')",
            name=op.f("ck_proposal_hidings_decision"),
        ),
        sa.CheckConstraint(
            "(decision IS NULL) = (decided_at IS NULL)", name=op.f("ck_proposal_hidings_decided")
        ),
        sa.CheckConstraint(
            "decision IS NULL OR appealed_at IS NOT NULL",
            name=op.f("ck_proposal_hidings_decided_appeal"),
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_proposal_hidings_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["comment_id"],
            ["proposal_comments.id"],
            name=op.f("fk_proposal_hidings_comment_id_proposal_comments"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_proposal_hidings_decided_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["hidden_by_id"], ["users.id"], name=op.f("fk_proposal_hidings_hidden_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_hidings_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_hidings")),
    )
    op.create_index(
        op.f("ix_proposal_hidings_proposal_id"), "proposal_hidings", ["proposal_id"], unique=False
    )
    op.create_table(
        "proposal_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("themes", sa.Text(), server_default="", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("amendment_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.Text(), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["amendment_id"],
            ["proposal_amendments.id"],
            name=op.f("fk_proposal_versions_amendment_id_proposal_amendments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["users.id"], name=op.f("fk_proposal_versions_author_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"],
            ["proposals.id"],
            name=op.f("fk_proposal_versions_proposal_id_proposals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal_versions")),
        sa.UniqueConstraint(
            "proposal_id", "number", name=op.f("uq_proposal_versions_proposal_id_number")
        ),
    )

    for statement in _search_ddl(upgrade=True):
        op.execute(statement)


def downgrade():
    for statement in _search_ddl(upgrade=False):
        op.execute(statement)
    op.drop_table("proposal_versions")
    op.drop_index(op.f("ix_proposal_hidings_proposal_id"), table_name="proposal_hidings")
    op.drop_table("proposal_hidings")
    op.drop_index(
        "uq_proposal_flags_proposal_user",
        table_name="proposal_flags",
        sqlite_where=sa.text("comment_id IS NULL"),
        postgresql_where=sa.text("comment_id IS NULL"),
    )
    op.drop_index(
        "uq_proposal_flags_comment_user",
        table_name="proposal_flags",
        sqlite_where=sa.text("comment_id IS NOT NULL"),
        postgresql_where=sa.text("comment_id IS NOT NULL"),
    )
    op.drop_index(op.f("ix_proposal_flags_proposal_id"), table_name="proposal_flags")
    op.drop_table("proposal_flags")
    op.drop_index("ix_proposal_themes_theme", table_name="proposal_themes")
    op.drop_index("ix_proposal_themes_council", table_name="proposal_themes")
    op.drop_table("proposal_themes")
    op.drop_index(op.f("ix_proposal_supports_user_id"), table_name="proposal_supports")
    op.drop_index("ix_proposal_supports_proposal_constituency", table_name="proposal_supports")
    op.drop_table("proposal_supports")
    op.drop_index(op.f("ix_proposal_follows_user_id"), table_name="proposal_follows")
    op.drop_table("proposal_follows")
    op.drop_index("ix_proposal_comments_proposal_created", table_name="proposal_comments")
    op.drop_index(op.f("ix_proposal_comments_author_id"), table_name="proposal_comments")
    op.drop_table("proposal_comments")
    op.drop_index(op.f("ix_proposal_amendments_proposal_id"), table_name="proposal_amendments")
    op.drop_table("proposal_amendments")
    op.drop_index(
        "ix_proposals_visible_supports",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.drop_index(
        "ix_proposals_visible_status",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.drop_index(
        "ix_proposals_visible_created",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.drop_index(
        "ix_proposals_visible_constituency",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.drop_index(
        "ix_proposals_visible_comments",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NULL"),
        postgresql_where=sa.text("hidden_at IS NULL"),
    )
    op.drop_index(
        "ix_proposals_hidden",
        table_name="proposals",
        sqlite_where=sa.text("hidden_at IS NOT NULL"),
        postgresql_where=sa.text("hidden_at IS NOT NULL"),
    )
    op.drop_index("ix_proposals_council_status", table_name="proposals")
    op.drop_index(op.f("ix_proposals_author_id"), table_name="proposals")
    op.drop_table("proposals")
