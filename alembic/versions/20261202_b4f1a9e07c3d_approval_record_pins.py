"""Numbered pins on the preview with a Request Revisions (on the approval record)

Revision ID: b4f1a9e07c3d
Revises: 7c2e9a41d5b8
Create Date: 2026-12-02 05:00:00
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = 'b4f1a9e07c3d'
down_revision: Union[str, None] = '7c2e9a41d5b8'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch rebuild): the table's no-UPDATE/no-DELETE triggers stay,
    # and existing records read as "no pins".
    op.add_column('approval_record', sa.Column('pins', sa.Text(), server_default='[]', nullable=False))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+) for the same reason: a batch rebuild would lose the triggers.
    op.drop_column('approval_record', 'pins')
