"""Edit versions: a form saved over a colleague's newer edit is refused, not applied."""

from __future__ import annotations

from sqlalchemy import update
from sqlmodel import Session

from kontrol_app.services.errors import Conflict


def claim_version(session: Session, model, record_id: int, expected_version: int | None, message: str) -> None:
    """Bump the record's version in one conditional UPDATE (so two concurrent saves of the
    same version cannot both pass: the second waits for the first and then matches no row).

    Raises `Conflict(message)` when the record is no longer at `expected_version`; with
    None (scripts, imports) the version is bumped without a check."""
    query = update(model).where(model.id == record_id)
    if expected_version is not None:
        query = query.where(model.version == int(expected_version))
    if session.exec(query.values(version=model.version + 1)).rowcount != 1:
        raise Conflict(message)
    # The loaded object still holds the old number: read it again when asked.
    for obj in session.identity_map.values():
        if isinstance(obj, model) and obj.id == record_id:
            session.expire(obj, ["version"])
