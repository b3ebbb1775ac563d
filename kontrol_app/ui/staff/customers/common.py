"""Pieces the customer screens share."""

from __future__ import annotations

FORM_FIELDS = ("name", "contact_name", "email", "phone", "address", "notes")

