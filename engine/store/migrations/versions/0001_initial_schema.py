"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-30 11:35:01.924022
"""
from alembic import op
import sqlalchemy as sa


revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('ai_generation_configs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('is_default', sa.Boolean(), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=False),
    sa.Column('stage_models', sa.JSON(), nullable=False),
    sa.Column('base_url', sa.String(length=500), nullable=True),
    sa.Column('temperature', sa.Float(), nullable=False),
    sa.Column('target_length', sa.Integer(), nullable=False),
    sa.Column('tone', sa.String(length=200), nullable=False),
    sa.Column('audience', sa.String(length=200), nullable=False),
    sa.Column('style_guide', sa.Text(), nullable=False),
    sa.Column('banned_phrases', sa.JSON(), nullable=False),
    sa.Column('quality_gates', sa.JSON(), nullable=False),
    sa.Column('quality_weights', sa.JSON(), nullable=False),
    sa.Column('requests_per_minute', sa.Integer(), nullable=False),
    sa.Column('tokens_per_minute', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("provider IN ('offline', 'openai', 'anthropic')", name=op.f('ck_ai_generation_configs_provider')),
    sa.CheckConstraint('target_length >= 100 AND target_length <= 10000', name=op.f('ck_ai_generation_configs_target_length')),
    sa.CheckConstraint('temperature >= 0 AND temperature <= 2', name=op.f('ck_ai_generation_configs_temperature')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_generation_configs')),
    sa.UniqueConstraint('name', name=op.f('uq_ai_generation_configs_name'))
    )
    op.create_table('engine_lease',
    sa.Column('name', sa.String(length=40), nullable=False),
    sa.Column('owner', sa.String(length=100), nullable=False),
    sa.Column('pid', sa.Integer(), nullable=False),
    sa.Column('host', sa.String(length=200), nullable=False),
    sa.Column('expires_at', sa.DateTime(), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_engine_lease'))
    )
    op.create_table('keyword_sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keyword', sa.String(length=200), nullable=False),
    sa.Column('keyword_key', sa.String(length=200), nullable=False),
    sa.Column('source', sa.String(length=500), nullable=False),
    sa.Column('priority', sa.String(length=10), nullable=False),
    sa.Column('approval_status', sa.String(length=10), nullable=False),
    sa.Column('decided_by', sa.String(length=100), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("approval_status IN ('pending', 'approved', 'rejected')", name=op.f('ck_keyword_sources_approval_status')),
    sa.CheckConstraint("priority IN ('high', 'normal', 'low')", name=op.f('ck_keyword_sources_priority')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_sources')),
    sa.UniqueConstraint('keyword_key', name=op.f('uq_keyword_sources_keyword_key'))
    )
    with op.batch_alter_table('keyword_sources', schema=None) as batch_op:
        batch_op.create_index('ix_keyword_sources_status_created', ['approval_status', 'created_at'], unique=False)

    op.create_table('ai_articles',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keyword_id', sa.Integer(), nullable=False),
    sa.Column('config_id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.String(length=40), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('review_status', sa.String(length=16), nullable=False),
    sa.Column('provider', sa.String(length=20), nullable=True),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('headline', sa.String(length=500), nullable=True),
    sa.Column('dek', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=True),
    sa.Column('summary', sa.Text(), nullable=True),
    sa.Column('meta_description', sa.String(length=500), nullable=True),
    sa.Column('social_copy', sa.Text(), nullable=True),
    sa.Column('slug', sa.String(length=200), nullable=True),
    sa.Column('tags', sa.JSON(), nullable=False),
    sa.Column('current_stage', sa.String(length=40), nullable=True),
    sa.Column('current_stage_index', sa.Integer(), nullable=False),
    sa.Column('error_log', sa.Text(), nullable=True),
    sa.Column('retry_count', sa.Integer(), nullable=False),
    sa.Column('bias_score', sa.Float(), nullable=True),
    sa.Column('fact_check_score', sa.Float(), nullable=True),
    sa.Column('perspective_balance_score', sa.Float(), nullable=True),
    sa.Column('originality_score', sa.Float(), nullable=True),
    sa.Column('overall_quality_score', sa.Float(), nullable=True),
    sa.Column('quality_passed', sa.Boolean(), nullable=True),
    sa.Column('failed_gates', sa.JSON(), nullable=False),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Float(), nullable=False),
    sa.Column('reviewed_by', sa.String(length=100), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(), nullable=True),
    sa.Column('review_reason', sa.Text(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("review_status IN ('pending_review', 'approved', 'rejected', 'published')", name=op.f('ck_ai_articles_review_status')),
    sa.CheckConstraint("status IN ('queued', 'generating', 'completed', 'failed', 'cancelled')", name=op.f('ck_ai_articles_status')),
    sa.ForeignKeyConstraint(['config_id'], ['ai_generation_configs.id'], name=op.f('fk_ai_articles_config_id_ai_generation_configs'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['keyword_id'], ['keyword_sources.id'], name=op.f('fk_ai_articles_keyword_id_keyword_sources'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_articles'))
    )
    with op.batch_alter_table('ai_articles', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_articles_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_ai_articles_keyword_id'), ['keyword_id'], unique=False)
        batch_op.create_index('ix_ai_articles_review', ['review_status', 'overall_quality_score'], unique=False)
        batch_op.create_index('ix_ai_articles_status', ['status'], unique=False)

    op.create_table('ai_workflow_logs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('stage', sa.String(length=40), nullable=False),
    sa.Column('stage_index', sa.Integer(), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=False),
    sa.Column('finished_at', sa.DateTime(), nullable=False),
    sa.Column('duration_s', sa.Float(), nullable=False),
    sa.Column('model', sa.String(length=200), nullable=True),
    sa.Column('tokens_in', sa.Integer(), nullable=False),
    sa.Column('tokens_out', sa.Integer(), nullable=False),
    sa.Column('cost_usd', sa.Float(), nullable=False),
    sa.Column('output', sa.JSON(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('retries', sa.JSON(), nullable=False),
    sa.CheckConstraint("status IN ('completed', 'failed', 'cancelled')", name=op.f('ck_ai_workflow_logs_status')),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_ai_workflow_logs_article_id_ai_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_ai_workflow_logs')),
    sa.UniqueConstraint('article_id', 'stage', 'attempt', name='uq_ai_workflow_logs_stage_attempt')
    )
    with op.batch_alter_table('ai_workflow_logs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ai_workflow_logs_article_id'), ['article_id'], unique=False)

    op.create_table('article_revisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('headline', sa.String(length=500), nullable=True),
    sa.Column('dek', sa.Text(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('author', sa.String(length=100), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_article_revisions_article_id_ai_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_article_revisions')),
    sa.UniqueConstraint('article_id', 'number', name='uq_article_revisions_number')
    )
    op.create_table('claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('verdict', sa.String(length=14), nullable=False),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('source_label', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('override_verdict', sa.String(length=14), nullable=True),
    sa.Column('override_by', sa.String(length=100), nullable=True),
    sa.Column('override_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("override_verdict IS NULL OR override_verdict IN ('supported', 'contradicted', 'unverifiable')", name=op.f('ck_claims_override_verdict')),
    sa.CheckConstraint("verdict IN ('supported', 'contradicted', 'unverifiable')", name=op.f('ck_claims_verdict')),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_claims_article_id_ai_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_claims'))
    )
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_claims_article_id'), ['article_id'], unique=False)

    op.create_table('jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.String(length=40), nullable=True),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('max_retries', sa.Integer(), nullable=False),
    sa.Column('retry_delay_s', sa.Float(), nullable=False),
    sa.Column('not_before', sa.DateTime(), nullable=True),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('enqueued_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('traceback', sa.Text(), nullable=True),
    sa.CheckConstraint("kind IN ('generate_article', 'retry_article_stage', 'run_quality_checks', 'batch_generate_articles')", name=op.f('ck_jobs_kind')),
    sa.CheckConstraint("status IN ('PENDING', 'STARTED', 'SUCCESS', 'FAILURE', 'REVOKED')", name=op.f('ck_jobs_status')),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_jobs_article_id_ai_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_jobs'))
    )
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_jobs_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_jobs_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index('ix_jobs_claim', ['status', 'priority', 'enqueued_at'], unique=False)

    op.create_table('quality_findings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('article_id', sa.Integer(), nullable=False),
    sa.Column('tool', sa.String(length=40), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('start', sa.Integer(), nullable=False),
    sa.Column('end', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('severity', sa.String(length=10), nullable=False),
    sa.Column('explanation', sa.Text(), nullable=False),
    sa.Column('suggestion', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('source_label', sa.String(length=20), nullable=True),
    sa.CheckConstraint("severity IN ('low', 'medium', 'high')", name=op.f('ck_quality_findings_severity')),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_quality_findings_article_id_ai_articles'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_quality_findings'))
    )
    with op.batch_alter_table('quality_findings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quality_findings_article_id'), ['article_id'], unique=False)

    op.create_table('sources',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keyword_id', sa.Integer(), nullable=True),
    sa.Column('article_id', sa.Integer(), nullable=True),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('url', sa.String(length=2000), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('retrieved_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('keyword_id IS NOT NULL OR article_id IS NOT NULL', name=op.f('ck_sources_owner')),
    sa.ForeignKeyConstraint(['article_id'], ['ai_articles.id'], name=op.f('fk_sources_article_id_ai_articles'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['keyword_id'], ['keyword_sources.id'], name=op.f('fk_sources_keyword_id_keyword_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sources'))
    )
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_sources_article_id'), ['article_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_sources_keyword_id'), ['keyword_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('sources', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sources_keyword_id'))
        batch_op.drop_index(batch_op.f('ix_sources_article_id'))

    op.drop_table('sources')
    with op.batch_alter_table('quality_findings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quality_findings_article_id'))

    op.drop_table('quality_findings')
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_jobs_claim')
        batch_op.drop_index(batch_op.f('ix_jobs_batch_id'))
        batch_op.drop_index(batch_op.f('ix_jobs_article_id'))

    op.drop_table('jobs')
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_claims_article_id'))

    op.drop_table('claims')
    op.drop_table('article_revisions')
    with op.batch_alter_table('ai_workflow_logs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ai_workflow_logs_article_id'))

    op.drop_table('ai_workflow_logs')
    with op.batch_alter_table('ai_articles', schema=None) as batch_op:
        batch_op.drop_index('ix_ai_articles_status')
        batch_op.drop_index('ix_ai_articles_review')
        batch_op.drop_index(batch_op.f('ix_ai_articles_keyword_id'))
        batch_op.drop_index(batch_op.f('ix_ai_articles_batch_id'))

    op.drop_table('ai_articles')
    with op.batch_alter_table('keyword_sources', schema=None) as batch_op:
        batch_op.drop_index('ix_keyword_sources_status_created')

    op.drop_table('keyword_sources')
    op.drop_table('engine_lease')
    op.drop_table('ai_generation_configs')
