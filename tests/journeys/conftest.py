"""Journey fixtures (the fakes) and the figures' summary at the end of the run."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from tests.fakes import whatsapp_payloads as wa
from tests.fakes.telegram_api import FakeTelegram
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.journeys.figures import FIGURES
from tests.support import dbutil
from tests.support.whatsapp_support import ACCESS_TOKEN


@pytest.fixture
def telegram() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def graph() -> AsyncIterator[FakeWhatsAppAPI]:
    async with FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=wa.PHONE_NUMBER_ID) as fake:
        yield fake


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not FIGURES:
        return
    backend = "PostgreSQL" if dbutil.is_postgres() else "SQLite"
    terminalreporter.section(f"journey figures ({backend})")
    for name, value in FIGURES.items():
        terminalreporter.write_line(f"{name}: {value}")
