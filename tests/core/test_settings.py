import pytest
from pydantic import ValidationError

from bot.core.settings import Settings


def _settings(**values: object) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg, arg-type]


def test_defaults_follow_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PATBM_DATABASE_URL", "PATBM_TIMEZONE", "PATBM_TELEGRAM_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    s = _settings()
    assert s.database_url == "sqlite+aiosqlite:///./patbm.db"
    assert s.timezone == "Asia/Jakarta"
    assert s.telegram_api_url == "https://api.telegram.org/bot"
    assert s.whatsapp_api_url == "https://graph.facebook.com"
    assert (s.http_host, s.http_port) == ("127.0.0.1", 8080)
    assert not s.telegram_enabled and not s.whatsapp_enabled
    assert any("129" in line for line in s.emergency_lines())


def test_environment_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATBM_TIMEZONE", "Asia/Makassar")
    monkeypatch.setenv("PATBM_TELEGRAM_TOKEN", "123:abc")
    s = _settings()
    assert s.timezone == "Asia/Makassar" and s.telegram_enabled


@pytest.mark.parametrize("value", ["changeme", "TOKEN", " secret "])
def test_placeholder_secrets_are_refused(value: str) -> None:
    with pytest.raises(ValidationError, match="placeholder"):
        _settings(telegram_token=value)


def test_webhook_needs_a_secret() -> None:
    with pytest.raises(ValidationError, match="WEBHOOK_SECRET"):
        _settings(telegram_token="1:a", telegram_webhook_url="https://x.example/webhooks/telegram")


def test_unknown_zone() -> None:
    with pytest.raises(ValidationError, match="unknown time zone"):
        _settings(timezone="Asia/Jambi")
