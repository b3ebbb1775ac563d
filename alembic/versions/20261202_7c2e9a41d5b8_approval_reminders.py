"""Settings -> Automations: reminders about artwork awaiting approval (on the shop row)

Revision ID: 7c2e9a41d5b8
Revises: d3ed412617ff
Create Date: 2026-12-02 04:55:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '7c2e9a41d5b8'
down_revision: Union[str, None] = 'd3ed412617ff'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing shops start with reminders off and the suggested 2 days / 3 times.
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approval_reminders', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('approval_reminder_days', sa.Integer(), server_default='2', nullable=False))
        batch_op.add_column(sa.Column('approval_reminder_max', sa.Integer(), server_default='3', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('approval_reminder_max')
        batch_op.drop_column('approval_reminder_days')
        batch_op.drop_column('approval_reminders')
