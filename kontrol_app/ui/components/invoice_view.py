"""An invoice's lines and totals as the staff's job page and the client's portal show them
(the rows come from the service, the same as on the PDF)."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services.invoices import InvoiceView


def line_rows(view: InvoiceView) -> list[dict[str, str]]:
    return [
        {"description": line.description, "quantity": f"{line.quantity:,}", "unit_price": line.unit_price, "amount": line.amount}
        for line in view.lines
    ]


def total_rows(view: InvoiceView) -> list[dict[str, str]]:
    return [{"key": row.key, "label": row.label, "amount": row.amount, "weight": "bold" if row.bold else ""} for row in view.totals]


def invoice_totals(rows: rx.Var, **props) -> rx.Component:
    """`rows` from `total_rows`; each amount has the class `total-<key>` (total-balance)."""

    def row(total: rx.Var) -> rx.Component:
        weight = rx.cond(total["weight"] == "bold", "bold", "regular")
        return rx.hstack(
            rx.text(total["label"], size="2", weight=weight),
            rx.spacer(),
            rx.text(total["amount"], size="2", weight=weight, class_name="total-" + total["key"].to(str)),
            width="100%",
            class_name="invoice-total-row",
        )

    return rx.vstack(rx.foreach(rows, row), spacing="1", width="100%", margin_left="auto", **props)
