"""the shop's production time in business days ("Approve by" dates count back from the due date)

Revision ID: 5e0a7d3b9c14
Revises: 432e7c8c5fc2
Create Date: 2026-12-02 04:30:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = '5e0a7d3b9c14'
down_revision: Union[str, None] = '432e7c8c5fc2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Existing shops get the default lead time.
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('production_days', sa.Integer(), server_default='7', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('production_days')
