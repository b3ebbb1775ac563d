"""Pieces the customer screens share."""

from __future__ import annotations




FORM_FIELDS = ("name", "contact_name", "email", "phone", "address", "notes")


def customer_id_from_path(path: str) -> int | None:
    parts = [p for p in (path or "").split("/") if p]
    if len(parts) >= 2 and parts[0] == "customers" and parts[1].isdigit():
        return int(parts[1])
    return None
