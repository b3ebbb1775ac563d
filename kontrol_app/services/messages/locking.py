"""Finding a thread to change: its row locked until the commit, so that posts and notices of one
thread happen one after the other; for the staff any thread, for a client only their customer's."""

from __future__ import annotations

from sqlmodel import Session, select

from kontrol_app.models import MessageThread
from kontrol_app.services.errors import found
from kontrol_app.services.messages.limits import NO_THREAD, NOT_IN_PORTAL
from kontrol_app.services.messages.views import Viewer


def _lock_thread(session: Session, thread_id: int) -> MessageThread | None:
    """The thread's row, locked until the commit (PostgreSQL; SQLite's writers take turns), so
    posts, read marks and notices of one thread happen one after the other."""
    if not isinstance(thread_id, int) or isinstance(thread_id, bool):
        return None
    return session.exec(select(MessageThread).where(MessageThread.id == thread_id).with_for_update().execution_options(populate_existing=True)).first()


def _staff_thread(session: Session, thread_id: int) -> MessageThread:
    """The thread, locked for a change."""
    return found(_lock_thread(session, thread_id), NO_THREAD)


def _client_thread(session: Session, viewer: Viewer, thread_id: int) -> MessageThread:
    """One of the viewer's customer's threads, locked for a change."""
    return found(_lock_thread(session, thread_id), NOT_IN_PORTAL, customer_id=viewer.customer_id)
