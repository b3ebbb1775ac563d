"""Driving Reflex states from tests as the event processor would: a browser tab's state
tree with its cookie and route, a handler called by name, and the database compared."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import reflex as rx
from reflex.state import State
from sqlalchemy import select
from sqlmodel import Session, SQLModel

from kontrol_app import db
from kontrol_app.api.cookies import STAFF_COOKIE
from kontrol_app.services import staff


def browser_tab(*, cookie: str = "", query: dict[str, str] | None = None, path: str = "/") -> State:
    """A tab's whole state tree; `query` carries the route args (`job_id`, `link`)."""
    root = State(_reflex_internal_init=True)
    router_data = {
        "pathname": path,
        "asPath": path,
        "query": query or {},
        "headers": {"cookie": cookie, "origin": "http://127.0.0.1:3000"},
        "ip": "127.0.0.1",
        "token": "test-token",
        "sid": "test-sid",
    }
    root.router_data = root._update_router_vars(router_data, {})
    return root


def screen(root: State, cls: type[rx.State]) -> rx.State:
    """The tab's instance of a state class (found by its full name, not a hard-coded one)."""
    return root.get_substate(cls.get_full_name().split(".")[1:])


def run_handler(state: rx.State, name: str, *args: Any) -> Any:
    """Call a registered event handler by name, as a browser event would."""
    result = state.event_handlers[name].fn(state, *args)
    return asyncio.run(result) if inspect.isawaitable(result) else result


def database_rows() -> dict[str, list[str]]:
    """Every row of every table, to prove a call changed nothing."""
    with Session(db.get_engine()) as session:
        return {
            table.name: sorted(map(repr, session.exec(select(table)).all()))
            for table in SQLModel.metadata.sorted_tables
        }


def staff_cookie(session: Session, email: str = "owner@example.com", password: str = "correct horse") -> str:
    """The Cookie header of a browser signed in as this staff member."""
    token = staff.redeem_ticket(session, staff.sign_in(session, email=email, password=password))
    session.commit()
    return f"{STAFF_COOKIE}={token}"
