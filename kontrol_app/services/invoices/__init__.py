"""Invoices: the money rules, numbering, statuses, payments and refunds, and what staff and
clients read.

Money is integer cents in the invoice's currency. Percentages (discount, tax, deposit) are
integers in thousandths of a percent. The one rule for the totals is `totals`: tax is charged
on the discounted subtotal and rounded half-up to the cent.

A draft has no number. Sending allocates the next number from the shop row in the same
transaction (one `UPDATE ... RETURNING`, which locks the row on PostgreSQL and is serialized
by SQLite), so concurrent sends get distinct consecutive numbers and a rolled-back send gives
its number back instead of leaving a hole. Numbers are never reused: a void invoice keeps its.

Every writer locks the invoice row first (`_lock`), so a staff payment and a Stripe payment
of the same invoice happen one after the other and the paid amount is never lost.

Where each part lives (everything public is imported here, so callers write `invoices.NAME`):

- `money_rule`: the totals, the balance, what can be paid now, overdue and the status labels.
- `records`: what a change works on (the shop, the job, an invoice and its lines), the
  history line, and the row lock (`_lock`) every writer takes first.
- `drafting`: the invoice form, drafts, numbering and sending, the invoice email.
- `payments_and_refunds`: money in and back out, the status it settles to, voiding.
- `reading`: one invoice as staff, the client and the PDF read it (`InvoiceView`).
- `staff_list`: the staff's Invoices list, the open and overdue totals, a customer's open balance.
- `portal`: the client's invoices in the portal.
"""

from kontrol_app.services.invoices.money_rule import (
    NOTHING_OWED,
    OPEN,
    OVERDUE,
    STATUS_LABELS,
    Totals,
    balance,
    due_now,
    is_overdue,
    status_label,
    totals,
)
from kontrol_app.services.invoices.drafting import (
    MAX_LINES,
    MAX_QUANTITY,
    MAX_UNIT_PRICE,
    STALE_INVOICE,
    InvoiceInput,
    LineInput,
    create_draft,
    invoice_input,
    invoice_portal_url,
    new_invoice_input,
    queue_invoice_email,
    send_invoice,
    update_draft,
)
from kontrol_app.services.invoices.payments_and_refunds import (
    METHOD_LABELS,
    STAFF_METHODS,
    apply_payment,
    apply_refund,
    record_payment,
    record_refund,
    void_invoice,
)
from kontrol_app.services.invoices.reading import (
    EventView,
    InvoiceView,
    LineView,
    PaymentView,
    TotalRow,
    invoice_detail,
    job_invoices,
    view,
)
from kontrol_app.services.invoices.staff_list import (
    PAGE_SIZE,
    InvoiceFilters,
    InvoicePage,
    InvoiceRow,
    OpenTally,
    list_invoices,
    open_balance,
    open_tally,
    open_totals,
)
from kontrol_app.services.invoices.portal import (
    PortalInvoice,
    portal_cards,
    portal_detail,
    portal_invoice,
)

__all__ = [
    "MAX_LINES",
    "MAX_QUANTITY",
    "MAX_UNIT_PRICE",
    "METHOD_LABELS",
    "NOTHING_OWED",
    "OPEN",
    "OVERDUE",
    "PAGE_SIZE",
    "STAFF_METHODS",
    "STALE_INVOICE",
    "STATUS_LABELS",
    "EventView",
    "InvoiceFilters",
    "InvoiceInput",
    "InvoicePage",
    "InvoiceRow",
    "InvoiceView",
    "LineInput",
    "LineView",
    "OpenTally",
    "PaymentView",
    "PortalInvoice",
    "TotalRow",
    "Totals",
    "apply_payment",
    "apply_refund",
    "balance",
    "create_draft",
    "due_now",
    "invoice_detail",
    "invoice_input",
    "invoice_portal_url",
    "is_overdue",
    "job_invoices",
    "list_invoices",
    "new_invoice_input",
    "open_balance",
    "open_tally",
    "open_totals",
    "portal_cards",
    "portal_detail",
    "portal_invoice",
    "queue_invoice_email",
    "record_payment",
    "record_refund",
    "send_invoice",
    "status_label",
    "totals",
    "update_draft",
    "view",
    "void_invoice",
]
