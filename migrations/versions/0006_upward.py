"""upward: forwarded proposals, inbox clusters and their index, answers, consultations

Revision ID: 0006_upward
Revises: 0001_foundation
Depends on: 0002_proposals (proposals), 0003_votes (motions), 0005_rounds (a consultation
can go on a round's agenda: round_agenda_items gains consultation_id and the kind)
"""
from alembic import op
import sqlalchemy as sa


revision = "0006_upward"
down_revision = "0001_foundation"
branch_labels = None
depends_on = ("0002_proposals", "0003_votes", "0005_rounds")


def upgrade():
    op.create_table('upward_clusters',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), server_default='', nullable=False),
    sa.Column('titled_at_size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('text_sq', sa.Float(), server_default='0', nullable=False),
    sa.Column('theme_sq', sa.Float(), server_default='0', nullable=False),
    sa.Column('councils', sa.Integer(), server_default='0', nullable=False),
    sa.Column('places', sa.Integer(), server_default='0', nullable=False),
    sa.Column('supporters', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('members', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('supporters_total', sa.Integer(), server_default='0', nullable=False),
    sa.Column('bridging', sa.Float(), server_default='1', nullable=False),
    sa.Column('tallied', sa.Integer(), server_default='0', nullable=False),
    sa.Column('support_sum', sa.Float(), server_default='0', nullable=False),
    sa.Column('first_at', sa.DateTime(), nullable=True),
    sa.Column('last_at', sa.DateTime(), nullable=True),
    sa.Column('unanswered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('unanswered_since', sa.DateTime(), nullable=True),
    sa.Column('answers', sa.Integer(), server_default='0', nullable=False),
    sa.Column('merged_into_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('size >= 0', name=op.f('ck_upward_clusters_size')),
    sa.CheckConstraint('unanswered >= 0 AND unanswered <= size', name=op.f('ck_upward_clusters_unanswered')),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_clusters_council_id_councils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['merged_into_id'], ['upward_clusters.id'], name=op.f('fk_upward_clusters_merged_into_id_upward_clusters'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_clusters'))
    )
    op.create_index('ix_upward_clusters_council_bridging', 'upward_clusters', ['council_id', 'bridging'], unique=False)
    op.create_index('ix_upward_clusters_council_councils', 'upward_clusters', ['council_id', 'councils'], unique=False)
    op.create_index('ix_upward_clusters_council_last_at', 'upward_clusters', ['council_id', 'last_at'], unique=False)
    op.create_index('ix_upward_clusters_council_unanswered', 'upward_clusters', ['council_id', 'unanswered_since'], unique=False)
    op.create_index(op.f('ix_upward_clusters_merged_into_id'), 'upward_clusters', ['merged_into_id'], unique=False)
    op.create_table('upward_consultations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('published_by_id', sa.Integer(), nullable=False),
    sa.Column('published_at', sa.DateTime(), nullable=False),
    sa.Column('closes_at', sa.DateTime(), nullable=False),
    sa.Column('cascade_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('positions_count', sa.Integer(), server_default='0', nullable=False),
    sa.Column('adopted_at', sa.DateTime(), nullable=True),
    sa.Column('adopted_by_id', sa.Integer(), nullable=True),
    sa.Column('adoption_note', sa.Text(), server_default='', nullable=False),
    sa.Column('adoption_html', sa.Text(), server_default='', nullable=False),
    sa.CheckConstraint('(adopted_at IS NULL) = (adopted_by_id IS NULL)', name=op.f('ck_upward_consultations_adopted_by')),
    sa.CheckConstraint('adopted_at IS NULL OR adopted_at >= closes_at', name=op.f('ck_upward_consultations_adopted_after_close')),
    sa.CheckConstraint('closes_at > published_at', name=op.f('ck_upward_consultations_closes_after_publication')),
    sa.ForeignKeyConstraint(['adopted_by_id'], ['users.id'], name=op.f('fk_upward_consultations_adopted_by_id_users')),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_consultations_council_id_councils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by_id'], ['users.id'], name=op.f('fk_upward_consultations_published_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_consultations'))
    )
    op.create_index(op.f('ix_upward_consultations_closes_at'), 'upward_consultations', ['closes_at'], unique=False)
    op.create_index('ix_upward_consultations_council_published', 'upward_consultations', ['council_id', 'published_at'], unique=False)
    op.create_table('upward_inbox_themes',
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_inbox_themes_council_id_councils'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('council_id', 'theme', name=op.f('pk_upward_inbox_themes'))
    )
    op.create_index('ix_upward_inbox_themes_council_n', 'upward_inbox_themes', ['council_id', 'n'], unique=False)
    op.create_table('upward_inboxes',
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('size', sa.Integer(), server_default='0', nullable=False),
    sa.Column('unanswered', sa.Integer(), server_default='0', nullable=False),
    sa.Column('constraints', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_inboxes_council_id_councils'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('council_id', name=op.f('pk_upward_inboxes'))
    )
    op.create_table('upward_terms',
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=81), nullable=False),
    sa.Column('df', sa.Integer(), nullable=False),
    sa.Column('clusters', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_terms_council_id_councils'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('council_id', 'feature', name=op.f('pk_upward_terms'))
    )
    op.create_table('upward_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=10), nullable=False),
    sa.Column('reasons', sa.Text(), nullable=False),
    sa.Column('reasons_html', sa.Text(), server_default='', nullable=False),
    sa.Column('referred_council_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), server_default='', nullable=False),
    sa.Column('forwards', sa.Integer(), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=False),
    sa.Column('answered_by_role', sa.String(length=20), server_default='', nullable=False),
    sa.Column('answered_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("(kind = 'refer') = (referred_council_id IS NOT NULL)", name=op.f('ck_upward_answers_referral')),
    sa.CheckConstraint("kind IN ('accept', 'decline', 'refer')", name=op.f('ck_upward_answers_kind')),
    sa.CheckConstraint('forwards > 0', name=op.f('ck_upward_answers_forwards')),
    sa.CheckConstraint('length(trim(reasons)) > 0', name=op.f('ck_upward_answers_reasons')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_upward_answers_answered_by_id_users')),
    sa.ForeignKeyConstraint(['cluster_id'], ['upward_clusters.id'], name=op.f('fk_upward_answers_cluster_id_upward_clusters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_answers_council_id_councils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['referred_council_id'], ['councils.id'], name=op.f('fk_upward_answers_referred_council_id_councils')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_answers')),
    sa.UniqueConstraint('cluster_id', 'number', name=op.f('uq_upward_answers_cluster_id_number'))
    )
    op.create_index(op.f('ix_upward_answers_cluster_id'), 'upward_answers', ['cluster_id'], unique=False)
    op.create_table('upward_cluster_features',
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('feature', sa.String(length=81), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('holders', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['upward_clusters.id'], name=op.f('fk_upward_cluster_features_cluster_id_upward_clusters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cluster_id', 'feature', name=op.f('pk_upward_cluster_features'))
    )
    op.create_index('ix_upward_cluster_features_council_feature', 'upward_cluster_features', ['council_id', 'feature'], unique=False)
    op.create_table('upward_cluster_regions',
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('councils', sa.Integer(), nullable=False),
    sa.Column('forwards', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['upward_clusters.id'], name=op.f('fk_upward_cluster_regions_cluster_id_upward_clusters'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['region_id'], ['places.id'], name=op.f('fk_upward_cluster_regions_region_id_places')),
    sa.PrimaryKeyConstraint('cluster_id', 'region_id', name=op.f('pk_upward_cluster_regions'))
    )
    op.create_index('ix_upward_cluster_regions_council_region', 'upward_cluster_regions', ['council_id', 'region_id'], unique=False)
    op.create_table('upward_cluster_themes',
    sa.Column('cluster_id', sa.Integer(), nullable=False),
    sa.Column('theme', sa.String(length=40), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['cluster_id'], ['upward_clusters.id'], name=op.f('fk_upward_cluster_themes_cluster_id_upward_clusters'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('cluster_id', 'theme', name=op.f('pk_upward_cluster_themes'))
    )
    op.create_index('ix_upward_cluster_themes_council_theme', 'upward_cluster_themes', ['council_id', 'theme'], unique=False)
    op.create_table('upward_consultation_councils',
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['consultation_id'], ['upward_consultations.id'], name=op.f('fk_upward_consultation_councils_consultation_id_upward_consultations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['council_id'], ['councils.id'], name=op.f('fk_upward_consultation_councils_council_id_councils'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('consultation_id', 'council_id', name=op.f('pk_upward_consultation_councils'))
    )
    op.create_index('ix_upward_consultation_councils_council', 'upward_consultation_councils', ['council_id', 'consultation_id'], unique=False)
    op.create_table('upward_forwards',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('root_proposal_id', sa.Integer(), nullable=False),
    sa.Column('origin_id', sa.Integer(), nullable=True),
    sa.Column('path', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('from_council_id', sa.Integer(), nullable=False),
    sa.Column('to_council_id', sa.Integer(), nullable=False),
    sa.Column('link_kind', sa.String(length=20), nullable=False),
    sa.Column('origin_council_id', sa.Integer(), nullable=False),
    sa.Column('origin_place_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_html', sa.Text(), nullable=False),
    sa.Column('themes', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('subsidiarity', sa.Text(), nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('tally', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('supports', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('supporters', sa.Integer(), server_default='0', nullable=False),
    sa.Column('members', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('vector', sa.JSON(none_as_null=True), nullable=False),
    sa.Column('cluster_id', sa.Integer(), nullable=True),
    sa.Column('answer_id', sa.Integer(), nullable=True),
    sa.Column('referred_by_answer_id', sa.Integer(), nullable=True),
    sa.Column('taken_up_proposal_id', sa.Integer(), nullable=True),
    sa.Column('taken_up_at', sa.DateTime(), nullable=True),
    sa.Column('forwarded_by_id', sa.Integer(), nullable=False),
    sa.Column('forwarded_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("link_kind IN ('reports_to', 'ringmaster', 'referral')", name=op.f('ck_upward_forwards_link_kind')),
    sa.CheckConstraint('from_council_id <> to_council_id', name=op.f('ck_upward_forwards_not_self')),
    sa.CheckConstraint('length(trim(subsidiarity)) > 0', name=op.f('ck_upward_forwards_subsidiarity')),
    sa.ForeignKeyConstraint(['answer_id'], ['upward_answers.id'], name=op.f('fk_upward_forwards_answer_id_upward_answers'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cluster_id'], ['upward_clusters.id'], name=op.f('fk_upward_forwards_cluster_id_upward_clusters'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['forwarded_by_id'], ['users.id'], name=op.f('fk_upward_forwards_forwarded_by_id_users')),
    sa.ForeignKeyConstraint(['from_council_id'], ['councils.id'], name=op.f('fk_upward_forwards_from_council_id_councils')),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'], name=op.f('fk_upward_forwards_motion_id_motions')),
    sa.ForeignKeyConstraint(['origin_council_id'], ['councils.id'], name=op.f('fk_upward_forwards_origin_council_id_councils')),
    sa.ForeignKeyConstraint(['origin_id'], ['upward_forwards.id'], name=op.f('fk_upward_forwards_origin_id_upward_forwards')),
    sa.ForeignKeyConstraint(['origin_place_id'], ['places.id'], name=op.f('fk_upward_forwards_origin_place_id_places')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_upward_forwards_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['referred_by_answer_id'], ['upward_answers.id'], name=op.f('fk_upward_forwards_referred_by_answer_id_upward_answers')),
    sa.ForeignKeyConstraint(['region_id'], ['places.id'], name=op.f('fk_upward_forwards_region_id_places')),
    sa.ForeignKeyConstraint(['root_proposal_id'], ['proposals.id'], name=op.f('fk_upward_forwards_root_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['taken_up_proposal_id'], ['proposals.id'], name=op.f('fk_upward_forwards_taken_up_proposal_id_proposals')),
    sa.ForeignKeyConstraint(['to_council_id'], ['councils.id'], name=op.f('fk_upward_forwards_to_council_id_councils')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_forwards')),
    sa.UniqueConstraint('proposal_id', 'to_council_id', name=op.f('uq_upward_forwards_proposal_id_to_council_id')),
    sa.UniqueConstraint('taken_up_proposal_id', name=op.f('uq_upward_forwards_taken_up_proposal_id'))
    )
    op.create_index(op.f('ix_upward_forwards_answer_id'), 'upward_forwards', ['answer_id'], unique=False)
    op.create_index('ix_upward_forwards_cluster_council', 'upward_forwards', ['cluster_id', 'origin_council_id'], unique=False)
    op.create_index('ix_upward_forwards_cluster_forwarded', 'upward_forwards', ['cluster_id', 'forwarded_at'], unique=False)
    op.create_index('ix_upward_forwards_cluster_place', 'upward_forwards', ['cluster_id', 'origin_place_id'], unique=False)
    op.create_index(op.f('ix_upward_forwards_from_council_id'), 'upward_forwards', ['from_council_id'], unique=False)
    op.create_index(op.f('ix_upward_forwards_origin_id'), 'upward_forwards', ['origin_id'], unique=False)
    op.create_index(op.f('ix_upward_forwards_root_proposal_id'), 'upward_forwards', ['root_proposal_id'], unique=False)
    op.create_index('ix_upward_forwards_to_forwarded', 'upward_forwards', ['to_council_id', 'forwarded_at'], unique=False)
    op.create_table('upward_positions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('consultation_id', sa.Integer(), nullable=False),
    sa.Column('council_id', sa.Integer(), nullable=False),
    sa.Column('stance', sa.String(length=10), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.Column('text_html', sa.Text(), server_default='', nullable=False),
    sa.Column('motion_id', sa.Integer(), nullable=True),
    sa.Column('tally', sa.JSON(none_as_null=True), nullable=True),
    sa.Column('weight', sa.Float(), nullable=True),
    sa.Column('level', sa.String(length=10), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('amendment_group', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=40), server_default='', nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("stance = 'support' OR length(trim(text)) > 0", name=op.f('ck_upward_positions_text_for_amend_or_oppose')),
    sa.CheckConstraint("stance IN ('support', 'oppose', 'amend')", name=op.f('ck_upward_positions_stance')),
    sa.CheckConstraint('weight IS NULL OR (weight >= 0 AND weight <= 1)', name=op.f('ck_upward_positions_weight')),
    sa.ForeignKeyConstraint(['consultation_id', 'council_id'], ['upward_consultation_councils.consultation_id', 'upward_consultation_councils.council_id'], name=op.f('fk_upward_positions_consultation_id_upward_consultation_councils'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['motion_id'], ['motions.id'], name=op.f('fk_upward_positions_motion_id_motions')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_upward_positions_submitted_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_upward_positions')),
    sa.UniqueConstraint('consultation_id', 'council_id', name=op.f('uq_upward_positions_consultation_id_council_id'))
    )
    op.create_index(op.f('ix_upward_positions_council_id'), 'upward_positions', ['council_id'], unique=False)
    # ### end Alembic commands ###
    # A consultation can go on a round's agenda (the rounds feature's table, minimal change).
    with op.batch_alter_table("round_agenda_items") as batch:
        batch.add_column(sa.Column("consultation_id", sa.Integer(), nullable=True))
        batch.create_index(
            op.f("ix_round_agenda_items_consultation_id"), ["consultation_id"], unique=False
        )
        batch.create_unique_constraint(
            op.f("uq_round_agenda_items_round_id_consultation_id"), ["round_id", "consultation_id"]
        )
        batch.create_foreign_key(
            op.f("fk_round_agenda_items_consultation_id_upward_consultations"),
            "upward_consultations",
            ["consultation_id"],
            ["id"],
        )
        batch.drop_constraint(op.f("ck_round_agenda_items_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_round_agenda_items_kind"), "kind IN ('proposal', 'petition', 'consultation')"
        )
        batch.drop_constraint(op.f("ck_round_agenda_items_one_subject"), type_="check")
        batch.create_check_constraint(
            op.f("ck_round_agenda_items_one_subject"),
            "(kind = 'proposal' AND proposal_id IS NOT NULL AND petition_id IS NULL "
            "AND consultation_id IS NULL) OR "
            "(kind = 'petition' AND petition_id IS NOT NULL AND proposal_id IS NULL "
            "AND consultation_id IS NULL) OR "
            "(kind = 'consultation' AND consultation_id IS NOT NULL AND proposal_id IS NULL "
            "AND petition_id IS NULL)",
        )


def downgrade():
    with op.batch_alter_table("round_agenda_items") as batch:
        batch.drop_constraint(op.f("ck_round_agenda_items_one_subject"), type_="check")
        batch.create_check_constraint(
            op.f("ck_round_agenda_items_one_subject"),
            "(kind = 'proposal' AND proposal_id IS NOT NULL AND petition_id IS NULL) OR "
            "(kind = 'petition' AND petition_id IS NOT NULL AND proposal_id IS NULL)",
        )
        batch.drop_constraint(op.f("ck_round_agenda_items_kind"), type_="check")
        batch.create_check_constraint(
            op.f("ck_round_agenda_items_kind"), "kind IN ('proposal', 'petition')"
        )
        batch.drop_constraint(
            op.f("fk_round_agenda_items_consultation_id_upward_consultations"), type_="foreignkey"
        )
        batch.drop_constraint(op.f("uq_round_agenda_items_round_id_consultation_id"), type_="unique")
        batch.drop_index(op.f("ix_round_agenda_items_consultation_id"))
        batch.drop_column("consultation_id")
    op.drop_table('upward_positions')
    op.drop_table('upward_forwards')
    op.drop_table('upward_consultation_councils')
    op.drop_table('upward_cluster_themes')
    op.drop_table('upward_cluster_regions')
    op.drop_table('upward_cluster_features')
    op.drop_table('upward_answers')
    op.drop_table('upward_terms')
    op.drop_table('upward_inboxes')
    op.drop_table('upward_inbox_themes')
    op.drop_table('upward_consultations')
    op.drop_table('upward_clusters')
