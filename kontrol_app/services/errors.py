from __future__ import annotations


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
