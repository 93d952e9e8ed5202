"""`patbm run` start-up failures end with a clear message and a non-zero exit (in-process)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.channels.telegram import start as telegram_start
from bot.core.settings import get_settings
from bot.runtime.cli import main
from tests.conftest import TEST_KEY
from tests.fakes.telegram_api import FakeTelegram, free_port
from tests.support.e2e_helpers import create_schema_sync


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[pytest.MonkeyPatch]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'run.db'}"
    create_schema_sync(url)
    for name, value in {
        "PATBM_DATABASE_URL": url,
        "PATBM_ENCRYPTION_KEY": TEST_KEY,
        "PATBM_DATA_DIR": str(tmp_path),
        "PATBM_HTTP_PORT": str(free_port()),
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.chdir(tmp_path)
    get_settings.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()


def test_a_webhook_secret_telegram_would_refuse_is_a_configuration_error(
    env: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with FakeTelegram.running() as fake:
        env.setenv("PATBM_TELEGRAM_TOKEN", fake.token)
        env.setenv("PATBM_TELEGRAM_API_URL", fake.api_url)
        env.setenv("PATBM_TELEGRAM_WEBHOOK_URL", "https://bot.example.org/webhooks/telegram")
        env.setenv("PATBM_TELEGRAM_WEBHOOK_SECRET", "has spaces and ümlauts")
        assert main(["run"]) == 2
        assert fake.webhook is None
    assert "PATBM_TELEGRAM_WEBHOOK_SECRET" in capsys.readouterr().err


def test_an_unreachable_bot_api_exits_1(env: pytest.MonkeyPatch) -> None:
    env.setattr(telegram_start, "STARTUP_ATTEMPTS", 1)
    env.setenv("PATBM_TELEGRAM_TOKEN", "1:abc")
    env.setenv("PATBM_TELEGRAM_API_URL", f"http://127.0.0.1:{free_port()}/bot")
    assert main(["run"]) == 1


def test_a_wrong_token_exits_2(env: pytest.MonkeyPatch) -> None:
    with FakeTelegram.running() as fake:
        env.setenv("PATBM_TELEGRAM_TOKEN", "1:not-the-token")
        env.setenv("PATBM_TELEGRAM_API_URL", fake.api_url)
        assert main(["run"]) == 2


def test_a_busy_http_port_stops_the_run_with_1(env: pytest.MonkeyPatch) -> None:
    with FakeTelegram.running() as fake, socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        env.setenv("PATBM_HTTP_PORT", str(busy.getsockname()[1]))
        env.setenv("PATBM_TELEGRAM_TOKEN", fake.token)
        env.setenv("PATBM_TELEGRAM_API_URL", fake.api_url)
        assert main(["run"]) == 1
