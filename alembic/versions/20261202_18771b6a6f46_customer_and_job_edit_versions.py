"""customer and job edit versions (a stale form is refused, not saved over a colleague's edit)

Revision ID: 18771b6a6f46
Revises: c924308e2551
Create Date: 2026-12-02 03:10:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '18771b6a6f46'
down_revision: Union[str, None] = 'c924308e2551'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing rows start at version 1, like new ones.
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('job', schema=None) as batch_op:
        batch_op.drop_column('version')
    with op.batch_alter_table('customer', schema=None) as batch_op:
        batch_op.drop_column('version')
