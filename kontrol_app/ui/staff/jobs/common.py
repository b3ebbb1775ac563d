"""Pieces the job screens share."""

from __future__ import annotations

import functools

import reflex as rx
from kontrol_app.ui.components.links import link_button

from kontrol_app.services import jobs as job_service
from kontrol_app.services import statuses


FORM_FIELDS = ("title", "quantity", "due_date", "decoration", "garment", "colour", "notes")
# (value, label): screens show the label and send the value.
STATUS_OPTIONS = [(s.value, statuses.LABELS[s]) for s in statuses.ALL_STATUSES]
DECORATIONS = {label: value.value for value, label in job_service.DECORATION_LABELS.items()}


# A list or board shows a few hundred jobs with few distinct due dates and statuses: each
# label is worked out once (strftime and the pipeline look-up took a tenth of a board load).
@functools.lru_cache(maxsize=4096)
def due_label(value) -> str:
    return f"{value:%b} {value.day}, {value.year}" if value else ""


@functools.lru_cache(maxsize=64)
def _status_labels(status: str) -> tuple[str, str]:
    """The status's label and its next step's (empty when it has none)."""
    return statuses.label(status), statuses.label(nxt) if (nxt := statuses.next_status(status)) else ""


def row_dict(row: job_service.JobRow) -> dict[str, str]:
    status_label, next_label = _status_labels(row.status)
    return {
        "id": str(row.id),
        "title": row.title,
        "customer": row.customer_name,
        "customer_id": str(row.customer_id),
        "pieces": f"{row.quantity:,} pcs",
        "due": due_label(row.due_date),
        "status": status_label,
        "status_value": row.status,
        "next": next_label,
    }


def jobs_header(current: str) -> rx.Component:
    return rx.hstack(
        link_button("List", href="/jobs", variant="solid" if current == "list" else "soft", size="2"),
        link_button("Board", href="/jobs/board", variant="solid" if current == "board" else "soft", size="2"),
        rx.spacer(),
        link_button(rx.icon("plus", size=16), "New job", href="/jobs/new"),
        width="100%",
        margin_bottom="12px",
    )
