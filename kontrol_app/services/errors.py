from __future__ import annotations

from typing import Any, TypeVar

Row = TypeVar("Row")


class ServiceError(Exception):
    """A refusal worth showing to a person; `field` names the input it is about. `errors` is
    every field's message when a form was checked whole (`Checks`), `field` and `message` the
    first of them; else the one field's ({} for a refusal about no field)."""

    def __init__(self, message: str, field: str | None = None, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        self.errors = errors or ({field: message} if field else {})


class InvalidInput(ServiceError):
    pass


class Checks:
    """Every field of a form checked before any is refused, so one Save says all that is
    wrong: `value = checks(clean, ...)` keeps a refusal (the value is None) and goes on;
    `checks.done()` raises them together, the first as `field` and `message`."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    def __call__(self, check: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return check(*args, **kwargs)
        except InvalidInput as refused:
            for field, message in (refused.errors or {"form": refused.message}).items():
                self.errors.setdefault(field, message)
            return None

    def refuse(self, message: str, field: str) -> None:
        self.errors.setdefault(field, message)

    def done(self) -> None:
        if self.errors:
            field, message = next(iter(self.errors.items()))
            raise InvalidInput(message, field, dict(self.errors))


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
