"""sign-in attempts remember the trusted browser (device cookie) they came from

Revision ID: 3f6d2a9c41b7
Revises: 18771b6a6f46
Create Date: 2026-12-02 03:05:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel


revision: str = '3f6d2a9c41b7'
down_revision: Union[str, None] = '18771b6a6f46'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Earlier attempts came from unknown browsers.
    with op.batch_alter_table('sign_in_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('device', sqlmodel.sql.sqltypes.AutoString(length=64), server_default='', nullable=False))
        batch_op.create_index(batch_op.f('ix_sign_in_attempt_device'), ['device'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('sign_in_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_sign_in_attempt_device'))
        batch_op.drop_column('device')
