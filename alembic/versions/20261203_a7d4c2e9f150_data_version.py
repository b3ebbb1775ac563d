"""data_version: one number that every write to any table changes, kept by triggers

Staff pages re-read everything on every click (the board's 540 candidate jobs and 270 cards,
an invoice list's sums) although between two clicks nothing has usually changed. With this
number a page can tell: what it read at version V is still the truth while the version is V.
The triggers on every table are added by `kontrol_app.data_version.install`, which alembic/env.py
runs after every upgrade (so later tables, and tables a batch migration copied, get them too).

Revision ID: a7d4c2e9f150
Revises: f3a8d2c61b47
Create Date: 2026-12-03 09:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'a7d4c2e9f150'
down_revision: Union[str, None] = 'f3a8d2c61b47'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "data_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.execute("INSERT INTO data_version (id, version) VALUES (1, 0)")


def downgrade() -> None:
    bind = op.get_bind()
    tables = sa.inspect(bind).get_table_names()
    if bind.dialect.name == "postgresql":
        for table in tables:
            op.execute(f'DROP TRIGGER IF EXISTS data_version ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS kontrol_bump_data_version()")
    else:
        for table in tables:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS data_version_{table}_{change}")
    op.drop_table("data_version")
