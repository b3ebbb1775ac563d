"""Invoices, lines, payments and history; Stripe checkout attempts and handled events;
Settings -> Payments on the shop row; one attachment per outbox email (the invoice PDF)

Revision ID: 6a2b9c8d7e10
Revises: b4f1a9e07c3d
Create Date: 2026-12-02 05:49:52.520867
"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel
import kontrol_app.models.base


revision: str = '6a2b9c8d7e10'
down_revision: Union[str, None] = 'b4f1a9e07c3d'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table('stripe_event',
    sa.Column('id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('type', sqlmodel.sql.sqltypes.AutoString(length=80), nullable=False),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stripe_event'))
    )
    op.create_table('checkout_attempt',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('session_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('contact_id', sa.Integer(), nullable=True),
    sa.Column('allocations', sa.Text(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('completed_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_checkout_attempt_customer_id_customer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_checkout_attempt')),
    sa.UniqueConstraint('session_id', name=op.f('uq_checkout_attempt_session_id'))
    )
    with op.batch_alter_table('checkout_attempt', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_checkout_attempt_customer_id'), ['customer_id'], unique=False)

    op.create_table('invoice',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('customer_id', sa.Integer(), nullable=False),
    sa.Column('job_id', sa.Integer(), nullable=True),
    sa.Column('number', sqlmodel.sql.sqltypes.AutoString(length=40), nullable=True),
    sa.Column('status', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('currency', sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
    sa.Column('discount_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('discount_value', sa.Integer(), nullable=False),
    sa.Column('tax_rate', sa.Integer(), nullable=False),
    sa.Column('deposit_kind', sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
    sa.Column('deposit_value', sa.Integer(), nullable=False),
    sa.Column('subtotal_cents', sa.Integer(), nullable=False),
    sa.Column('discount_cents', sa.Integer(), nullable=False),
    sa.Column('tax_cents', sa.Integer(), nullable=False),
    sa.Column('total_cents', sa.Integer(), nullable=False),
    sa.Column('deposit_cents', sa.Integer(), nullable=False),
    sa.Column('paid_cents', sa.Integer(), nullable=False),
    sa.Column('refunded_cents', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('due_date', sa.Date(), nullable=True),
    sa.Column('sent_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('paid_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('voided_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True),
    sa.Column('void_reason', sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.Column('created_by_staff_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['created_by_staff_id'], ['staff_user.id'], name=op.f('fk_invoice_created_by_staff_id_staff_user')),
    sa.ForeignKeyConstraint(['customer_id'], ['customer.id'], name=op.f('fk_invoice_customer_id_customer')),
    sa.ForeignKeyConstraint(['job_id'], ['job.id'], name=op.f('fk_invoice_job_id_job')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice')),
    sa.UniqueConstraint('number', name=op.f('uq_invoice_number'))
    )
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.create_index('ix_invoice_customer_status', ['customer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_job_id'), ['job_id'], unique=False)
        batch_op.create_index('ix_invoice_status_due', ['status', 'due_date'], unique=False)

    op.create_table('invoice_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('kind', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('text', sqlmodel.sql.sqltypes.AutoString(length=1000), nullable=False),
    sa.Column('actor', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_event_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_event'))
    )
    with op.batch_alter_table('invoice_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_event_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('description', sqlmodel.sql.sqltypes.AutoString(length=300), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.Column('unit_price_cents', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_line_invoice_id_invoice')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_line'))
    )
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_line_invoice_id'), ['invoice_id'], unique=False)

    op.create_table('invoice_payment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('invoice_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.Integer(), nullable=False),
    sa.Column('method', sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
    sa.Column('received_on', sa.Date(), nullable=False),
    sa.Column('reference', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('stripe_session_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('stripe_payment_intent', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('stripe_refund_id', sqlmodel.sql.sqltypes.AutoString(length=255), nullable=True),
    sa.Column('recorded_by', sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
    sa.Column('staff_user_id', sa.Integer(), nullable=True),
    sa.Column('created_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['invoice_id'], ['invoice.id'], name=op.f('fk_invoice_payment_invoice_id_invoice')),
    sa.ForeignKeyConstraint(['staff_user_id'], ['staff_user.id'], name=op.f('fk_invoice_payment_staff_user_id_staff_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invoice_payment')),
    sa.UniqueConstraint('stripe_refund_id', name='uq_invoice_payment_stripe_refund_id'),
    sa.UniqueConstraint('stripe_session_id', 'invoice_id', name='uq_invoice_payment_session_invoice')
    )
    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invoice_payment_invoice_id'), ['invoice_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_invoice_payment_stripe_payment_intent'), ['stripe_payment_intent'], unique=False)

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.add_column(sa.Column('attachment_file_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('attachment_name', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False))
        batch_op.create_foreign_key(batch_op.f('fk_outbox_email_attachment_file_id_stored_file'), 'stored_file', ['attachment_file_id'], ['id'])

    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.add_column(sa.Column('stripe_secret_key', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('stripe_webhook_secret', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('stripe_account_name', sqlmodel.sql.sqltypes.AutoString(length=200), server_default='', nullable=False))
        batch_op.add_column(sa.Column('stripe_livemode', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('stripe_checked_at', kontrol_app.models.base.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('tax_rate', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('invoice_prefix', sqlmodel.sql.sqltypes.AutoString(length=12), server_default='INV-', nullable=False))
        batch_op.add_column(sa.Column('invoice_next_number', sa.Integer(), server_default='1', nullable=False))
        batch_op.add_column(sa.Column('payment_terms_days', sa.Integer(), server_default='14', nullable=False))
        batch_op.add_column(sa.Column('payment_instructions', sqlmodel.sql.sqltypes.AutoString(length=2000), server_default='', nullable=False))
        batch_op.add_column(sa.Column('invoice_reminders', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('invoice_reminder_before_days', sa.Integer(), server_default='3', nullable=False))
        batch_op.add_column(sa.Column('invoice_reminder_after_days', sqlmodel.sql.sqltypes.AutoString(length=60), server_default='1,7,14', nullable=False))



def downgrade() -> None:
    with op.batch_alter_table('shop', schema=None) as batch_op:
        batch_op.drop_column('invoice_reminder_after_days')
        batch_op.drop_column('invoice_reminder_before_days')
        batch_op.drop_column('invoice_reminders')
        batch_op.drop_column('payment_instructions')
        batch_op.drop_column('payment_terms_days')
        batch_op.drop_column('invoice_next_number')
        batch_op.drop_column('invoice_prefix')
        batch_op.drop_column('tax_rate')
        batch_op.drop_column('stripe_checked_at')
        batch_op.drop_column('stripe_livemode')
        batch_op.drop_column('stripe_account_name')
        batch_op.drop_column('stripe_webhook_secret')
        batch_op.drop_column('stripe_secret_key')

    with op.batch_alter_table('outbox_email', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_email_attachment_file_id_stored_file'), type_='foreignkey')
        batch_op.drop_column('attachment_name')
        batch_op.drop_column('attachment_file_id')

    with op.batch_alter_table('invoice_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_payment_stripe_payment_intent'))
        batch_op.drop_index(batch_op.f('ix_invoice_payment_invoice_id'))

    op.drop_table('invoice_payment')
    with op.batch_alter_table('invoice_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_line_invoice_id'))

    op.drop_table('invoice_line')
    with op.batch_alter_table('invoice_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_invoice_event_invoice_id'))

    op.drop_table('invoice_event')
    with op.batch_alter_table('invoice', schema=None) as batch_op:
        batch_op.drop_index('ix_invoice_status_due')
        batch_op.drop_index(batch_op.f('ix_invoice_job_id'))
        batch_op.drop_index('ix_invoice_customer_status')

    op.drop_table('invoice')
    with op.batch_alter_table('checkout_attempt', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_checkout_attempt_customer_id'))

    op.drop_table('checkout_attempt')
    op.drop_table('stripe_event')
