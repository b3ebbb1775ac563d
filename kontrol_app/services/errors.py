from __future__ import annotations

from typing import Any, TypeVar

Row = TypeVar("Row")


class ServiceError(Exception):
    """A refusal worth showing to a person; `field` names the input it is about."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    pass


class NotAllowed(ServiceError):
    pass


class NotFound(ServiceError):
    pass


class Throttled(ServiceError):
    pass


class Conflict(ServiceError):
    """Someone else changed the record since the form was loaded; nothing was saved."""


def found(row: Row | None, message: str, *, customer_id: int | None = None) -> Row:
    """`row`, or NotFound(message) when the look-up found nothing. With `customer_id`, another
    customer's row is "not found" too (never "not yours"), so someone else's id tells no more
    than an id that does not exist."""
    if row is None or (customer_id is not None and row.customer_id != customer_id):  # type: ignore[attr-defined]
        raise NotFound(message)
    return row


def find(session: Any, model: type[Row], row_id: object, message: str, *, customer_id: int | None = None) -> Row:
    """The `model` row with this id (see `found`). A page can send anything as an id: one that is
    not a whole number finds nothing instead of reaching the database."""
    whole = isinstance(row_id, int) and not isinstance(row_id, bool)
    return found(session.get(model, row_id) if whole else None, message, customer_id=customer_id)
