"""Decision audit trail and app settings.

Re-decisions of keywords are audited (who, when, from and to); machine-level
settings (workers, slots, limits, export folder) get their own table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('keyword_decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('keyword_id', sa.Integer(), nullable=False),
    sa.Column('from_status', sa.String(length=10), nullable=False),
    sa.Column('to_status', sa.String(length=10), nullable=False),
    sa.Column('editor', sa.String(length=100), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('decided_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("from_status IN ('pending', 'approved', 'rejected')", name=op.f('ck_keyword_decisions_from_status')),
    sa.CheckConstraint("to_status IN ('pending', 'approved', 'rejected')", name=op.f('ck_keyword_decisions_to_status')),
    sa.ForeignKeyConstraint(['keyword_id'], ['keyword_sources.id'], name=op.f('fk_keyword_decisions_keyword_id_keyword_sources'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_keyword_decisions'))
    )
    with op.batch_alter_table('keyword_decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_keyword_decisions_keyword_id'), ['keyword_id'], unique=False)

    op.create_table('app_settings',
    sa.Column('key', sa.String(length=100), nullable=False),
    sa.Column('value', sa.JSON(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_app_settings'))
    )


def downgrade() -> None:
    with op.batch_alter_table('keyword_decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_keyword_decisions_keyword_id'))
    op.drop_table('keyword_decisions')
    op.drop_table('app_settings')
