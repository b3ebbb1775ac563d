"""The invoice status badge (staff and portal): Overdue in red, Paid in green."""

from __future__ import annotations

import reflex as rx

from kontrol_app.models import InvoiceStatus
from kontrol_app.services.invoices import OVERDUE

# By the status value of an InvoiceView / InvoiceRow (a stored status, or "overdue").
COLORS = [
    (InvoiceStatus.DRAFT.value, "gray"),
    (InvoiceStatus.SENT.value, "blue"),
    (InvoiceStatus.PARTIALLY_PAID.value, "amber"),
    (InvoiceStatus.PAID.value, "green"),
    (InvoiceStatus.VOID.value, "gray"),
    (OVERDUE, "red"),
]


def invoice_badge(status: rx.Var, label: rx.Var, **props) -> rx.Component:
    return rx.badge(
        label,
        color_scheme=rx.match(status, *COLORS, "gray"),
        variant=rx.cond(status == OVERDUE, "solid", "soft"),  # overdue stands out
        size="2",
        class_name="invoice-status",
        **props,
    )
