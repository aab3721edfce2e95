"""The checker: a profile's checker settings, each claim's confidence and checker, each
article's checker per score.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('ai_generation_configs', schema=None) as batch_op:
        batch_op.add_column(sa.Column('checker', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('ai_articles', schema=None) as batch_op:
        batch_op.add_column(sa.Column('quality_checkers', sa.JSON(), nullable=False, server_default=sa.text("'{}'")))
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.add_column(sa.Column('confidence', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('checker', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('claims', schema=None) as batch_op:
        batch_op.drop_column('checker')
        batch_op.drop_column('confidence')
    with op.batch_alter_table('ai_articles', schema=None) as batch_op:
        batch_op.drop_column('quality_checkers')
    with op.batch_alter_table('ai_generation_configs', schema=None) as batch_op:
        batch_op.drop_column('checker')
