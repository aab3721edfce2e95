"""Schedules: recurring feed polls, batches and re-checks (issue 14).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('schedules',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('args', sa.JSON(), nullable=False),
    sa.Column('cron', sa.String(length=200), nullable=True),
    sa.Column('interval_s', sa.Integer(), nullable=True),
    sa.Column('timezone', sa.String(length=64), nullable=False),
    sa.Column('enabled', sa.Boolean(), nullable=False),
    sa.Column('last_run_at', sa.DateTime(), nullable=True),
    sa.Column('next_run_at', sa.DateTime(), nullable=True),
    sa.Column('last_outcome', sa.String(length=10), nullable=True),
    sa.Column('last_message', sa.Text(), nullable=True),
    sa.Column('state', sa.JSON(), nullable=False),
    sa.Column('lease_owner', sa.String(length=100), nullable=True),
    sa.Column('lease_expires_at', sa.DateTime(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint("kind IN ('poll_feed', 'generate_approved', 'recheck_published')", name=op.f('ck_schedules_kind')),
    sa.CheckConstraint("last_outcome IS NULL OR last_outcome IN ('ok', 'failed')", name=op.f('ck_schedules_last_outcome')),
    sa.CheckConstraint("(cron IS NULL) <> (interval_s IS NULL)", name=op.f('ck_schedules_timing')),
    sa.CheckConstraint("interval_s IS NULL OR interval_s >= 60", name=op.f('ck_schedules_interval_s')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_schedules')),
    sa.UniqueConstraint('name', name=op.f('uq_schedules_name'))
    )
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_schedules_next_run_at'), ['next_run_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('schedules', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_schedules_next_run_at'))
    op.drop_table('schedules')
