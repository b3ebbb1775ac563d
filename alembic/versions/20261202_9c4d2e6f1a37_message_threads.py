"""Messages (issue 10): threads, messages, attachments and per-contact read marks.

Revision ID: 9c4d2e6f1a37
Revises: 8e1f0c2d3a4b
Create Date: 2026-12-02 06:47:09.565119
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import kontrol_app.models.base


revision: str = '9c4d2e6f1a37'
down_revision: Union[str, None] = '8e1f0c2d3a4b'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('message_thread',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('subject', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('created_by_side', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_message_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('closed_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('last_client_message_id', sa.Integer(), nullable=False),
    sa.Column('last_shop_message_id', sa.Integer(), nullable=False),
    sa.Column('staff_read_message_id', sa.Integer(), nullable=False),
    sa.Column('staff_unread', sa.Boolean(), nullable=False),
    sa.Column('last_notice_at_shop', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('shop_noticed_message_id', sa.Integer(), nullable=False),
    sa.Column('last_notice_at_client', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('client_noticed_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_message_thread_customer_id_customer')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_message_thread_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_thread'))
    )
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.create_index('ix_message_thread_customer_id_last_message_at', ['customer_id', 'last_message_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_thread_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_message_thread_staff_unread_last_message_at', ['staff_unread', 'last_message_at'], unique=False)

    op.create_table('message',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('side', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('sender_name', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['customer_contact.id'], name=op.f('fk_message_contact_id_customer_contact'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_message_staff_user_id_staff_user')),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_message_thread_id_message_thread')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message'))
    )
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.create_index('ix_message_thread_id_id', ['thread_id', 'id'], unique=False)

    op.create_table('message_thread_read',
    sa.Column('thread_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=False),
    sa.Column('last_read_message_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['contact_id'], ['customer_contact.id'], name=op.f('fk_message_thread_read_contact_id_customer_contact'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['thread_id'], ['message_thread.id'], name=op.f('fk_message_thread_read_thread_id_message_thread')),
    sa.PrimaryKeyConstraint('thread_id', 'contact_id', name=op.f('pk_message_thread_read'))
    )
    op.create_table('message_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.Integer(), nullable=False),
    sa.Column('file_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_message_attachment_file_id_stored_file')),
    sa.ForeignKeyConstraint(['message_id'], ['message.id'], name=op.f('fk_message_attachment_message_id_message')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_message_attachment'))
    )
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_message_attachment_file_id'), ['file_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_message_attachment_message_id'), ['message_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('message_attachment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_message_attachment_message_id'))
        batch_op.drop_index(batch_op.f('ix_message_attachment_file_id'))

    op.drop_table('message_attachment')
    op.drop_table('message_thread_read')
    with op.batch_alter_table('message', schema=None) as batch_op:
        batch_op.drop_index('ix_message_thread_id_id')

    op.drop_table('message')
    with op.batch_alter_table('message_thread', schema=None) as batch_op:
        batch_op.drop_index('ix_message_thread_staff_unread_last_message_at')
        batch_op.drop_index(batch_op.f('ix_message_thread_job_id'))
        batch_op.drop_index('ix_message_thread_customer_id_last_message_at')

    op.drop_table('message_thread')
