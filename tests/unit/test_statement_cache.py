"""The engine's compiled-SQL cache: statements marked `compiled_once` are found by the identity
of their cache key (no hashing of the whole key per execution), everything else as SQLAlchemy
finds it; either way a statement is compiled once and answers right."""

from __future__ import annotations

from sqlalchemy import bindparam, func
from sqlalchemy import select as sa_select

from kontrol_app import db
from kontrol_app.models import Customer
from kontrol_app.services import portal_view, staff
from kontrol_app.services.messages.reading import _NEWEST_MESSAGES, _OPENING_QUERY
from tests.factories import make_customer

MARKED = db.compiled_once(sa_select(Customer.name).where(Customer.id == bindparam("customer_id")))


def _cache(engine) -> db.StatementCache:
    cache = engine.get_execution_options()["compiled_cache"]
    assert isinstance(cache, db.StatementCache)
    return cache


def test_a_statement_built_once_is_compiled_once_and_found_by_identity(database, session, owner):
    customer_id = make_customer(session, owner, "Acme Print", "acme@example.com")
    session.commit()
    engine = db.make_engine(database)  # a new engine: its cache starts empty
    try:
        cache = _cache(engine)
        with engine.connect() as connection:
            first = connection.execute(MARKED, {"customer_id": customer_id})
            assert first.scalar_one() == "Acme Print"
            assert first.context.cache_hit == engine.dialect.CACHE_MISS
            again = connection.execute(MARKED, {"customer_id": customer_id + 1})
            assert again.scalar_one_or_none() is None
            assert again.context.cache_hit == engine.dialect.CACHE_HIT
            assert len(cache._once) == 1 and len(cache._lru) == 0

            # A statement built per call goes through SQLAlchemy's own LRU, and hits there too.
            for expected in (engine.dialect.CACHE_MISS, engine.dialect.CACHE_HIT):
                adhoc = connection.execute(sa_select(func.count()).select_from(Customer))
                assert adhoc.scalar_one() == 1 and adhoc.context.cache_hit == expected
            assert len(cache._once) == 1 and len(cache._lru) == 1
    finally:
        engine.dispose()


def test_the_hot_statements_are_built_once():
    for statement in (portal_view.VIEWER_QUERY, _OPENING_QUERY, _NEWEST_MESSAGES, staff._PRINCIPAL_QUERY):
        key = statement._generate_cache_key().key
        assert db._BUILT_ONCE.get(id(key)) is key


def test_every_engine_uses_the_statement_cache(database):
    engine = db.make_engine(database)
    try:
        _cache(engine)
    finally:
        engine.dispose()
