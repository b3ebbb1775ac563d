"""Pieces the job screens share."""

from __future__ import annotations

import reflex as rx

from kontrol_app.services import jobs as job_service
from kontrol_app.services import statuses


FORM_FIELDS = ("title", "quantity", "due_date", "decoration", "garment", "colour", "notes")
# (value, label): screens show the label and send the value.
STATUS_OPTIONS = [(s.value, statuses.LABELS[s]) for s in statuses.ALL_STATUSES]
DECORATIONS = {label: value.value for value, label in job_service.DECORATION_LABELS.items()}


def due_label(value) -> str:
    return f"{value:%b} {value.day}, {value.year}" if value else ""


def row_dict(row: job_service.JobRow) -> dict[str, str]:
    return {
        "id": str(row.id),
        "title": row.title,
        "customer": row.customer_name,
        "customer_id": str(row.customer_id),
        "pieces": f"{row.quantity:,} pcs",
        "due": due_label(row.due_date),
        "status": statuses.label(row.status),
        "status_value": row.status,
        "next": statuses.label(nxt) if (nxt := statuses.next_status(row.status)) else "",
    }


def jobs_header(current: str) -> rx.Component:
    return rx.hstack(
        rx.link(rx.button("List", variant="solid" if current == "list" else "soft", size="2"), href="/jobs"),
        rx.link(rx.button("Board", variant="solid" if current == "board" else "soft", size="2"), href="/jobs/board"),
        rx.spacer(),
        rx.link(rx.button(rx.icon("plus", size=16), "New job"), href="/jobs/new"),
        width="100%",
        margin_bottom="12px",
    )
