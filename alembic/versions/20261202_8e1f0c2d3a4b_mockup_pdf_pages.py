"""PDF mockups: a preview of each of the first pages (mockup_page)

Versions uploaded before this keep no page rows and show their first-page preview.

Revision ID: 8e1f0c2d3a4b
Revises: 6a2b9c8d7e10
Create Date: 2026-12-02 06:00:00
"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "8e1f0c2d3a4b"
down_revision: Union[str, None] = "6a2b9c8d7e10"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "mockup_page",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("page_number", sa.Integer(), nullable=False),
        sa.Column("preview_file_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["preview_file_id"], ["stored_file.id"], name=op.f("fk_mockup_page_preview_file_id_stored_file")),
        sa.ForeignKeyConstraint(["version_id"], ["mockup_version.id"], name=op.f("fk_mockup_page_version_id_mockup_version")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mockup_page")),
        sa.UniqueConstraint("version_id", "page_number", name="uq_mockup_page_version_id_page_number"),
    )
    # Only mockup_page is touched: approval_record's no-UPDATE/no-DELETE triggers stay as they are.
    with op.batch_alter_table("mockup_page", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_mockup_page_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("mockup_page", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_mockup_page_version_id"))

    op.drop_table("mockup_page")
