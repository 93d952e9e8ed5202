"""Running `patbm` in-process against the test database, with the settings from the environment."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.core.settings import get_settings
from bot.runtime import cli
from tests.conftest import TEST_KEY


@contextmanager
def patbm_env(monkeypatch: pytest.MonkeyPatch, database_url: str, data_dir: Path) -> Iterator[None]:
    monkeypatch.setenv("PATBM_DATABASE_URL", database_url)
    monkeypatch.setenv("PATBM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PATBM_ENCRYPTION_KEY", TEST_KEY)
    monkeypatch.chdir(data_dir)
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()


def run_cli(*argv: str) -> int:
    return cli.main(list(argv))
