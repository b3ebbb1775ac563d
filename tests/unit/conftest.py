"""Fixtures shared by the unit tests (the database ones live in tests/conftest.py)."""

import time

import pytest

from kontrol_app import data_version
from tests.fakes.resend_server import fake_resend  # noqa: F401  (imported to register the fixture)


class HandClock:
    """data_version's clock (how long a remembered read counts), moved by hand: `clock.now += 21`.
    Its `sleep` stays real, for the PostgreSQL listener that shares the module's `time`."""

    sleep = staticmethod(time.sleep)

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture
def data_version_clock(monkeypatch) -> HandClock:
    clock = HandClock(time.time())
    monkeypatch.setattr(data_version, "time", clock)
    return clock
