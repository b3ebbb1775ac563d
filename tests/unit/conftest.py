"""Fixtures shared by the unit tests (the database ones live in tests/conftest.py)."""

from tests.fakes.resend_server import fake_resend  # noqa: F401  (imported to register the fixture)
