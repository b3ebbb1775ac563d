"""sign_in_version: a second number beside the data version, changed only by writes to the
tables a staff member's session check reads (staff_session, staff_user)

Every staff click checks its session; the worker remembers that check while the data version
stands still, but any write anywhere (a status change, a message, the outbox sending an email)
moved it, so in a busy shop nearly every click read its session again. Remembered at the
sign-in version, the check outlives those writes and still ends with a sign-out, a revoke, a
deactivation or a new name or role. `kontrol_app.data_version.install` (run by alembic/env.py
after every upgrade) adds the triggers.

Revision ID: b81e3f5a9c20
Revises: a7d4c2e9f150
Create Date: 2026-12-04 12:30:00.000000
"""
from typing import Sequence, Union

import sqlalchemy as sa
from alembic import op


revision: str = 'b81e3f5a9c20'
down_revision: Union[str, None] = 'a7d4c2e9f150'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Not in batch mode: SQLite would copy the table, and renaming the copy fails while every
    # table's trigger names data_version. ALTER TABLE ADD/DROP COLUMN needs no copy.
    op.add_column("data_version", sa.Column("sign_in_version", sa.BigInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    bind = op.get_bind()
    tables = sa.inspect(bind).get_table_names()
    for table in ("staff_session", "staff_user"):
        if table not in tables:
            continue
        if bind.dialect.name == "postgresql":
            op.execute(f'DROP TRIGGER IF EXISTS sign_in_version ON "{table}"')
        else:
            for change in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS sign_in_version_{table}_{change}")
    if bind.dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS kontrol_bump_sign_in_version()")
    op.drop_column("data_version", "sign_in_version")
