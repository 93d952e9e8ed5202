"""Settings, read by pydantic-settings from the environment and an optional `.env` (prefix PATBM_)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from examples; running with one of them would look configured and not be.
_PLACEHOLDERS = {"changeme", "change-me", "secret", "token", "xxx", "your-token", "todo", "..."}


class SettingsError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="PATBM_", env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: str = "sqlite+aiosqlite:///./patbm.db"
    data_dir: Path = Path(".")
    timezone: str = "Asia/Jakarta"
    # The kota/kabupaten this deployment serves (Kemendagri code); derived from the areas
    # table when only one is imported.
    area_code: str | None = None
    case_prefix: str | None = None

    telegram_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_bot_username: str | None = None
    telegram_concurrency: int = Field(default=8, ge=1, le=64)

    whatsapp_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = None
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_api_url: str = "https://graph.facebook.com"

    http_host: str = "127.0.0.1"
    http_port: int = 8080

    # Comma-separated Fernet keys, newest first; the first encrypts, all decrypt (rotation).
    encryption_key: SecretStr | None = None

    # Shown at once to someone in danger; configurable because numbers differ by region.
    emergency_numbers: str = (
        "112 (darurat/emergency);110 (polisi/police);129 (SAPA 129 KemenPPPA);"
        "WhatsApp SAPA 129: 08111-129-129"
    )
    default_language: str = "id"
    draft_ttl_hours: int = 24
    status_max_failures: int = 5
    status_window_minutes: int = 15

    log_json: bool = False

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (e.g. Asia/Jakarta, Asia/Makassar)"
            ) from exc
        return value

    @model_validator(mode="after")
    def _no_placeholders(self) -> Settings:
        for name in (
            "telegram_token",
            "telegram_webhook_secret",
            "whatsapp_token",
            "whatsapp_app_secret",
            "whatsapp_verify_token",
            "encryption_key",
        ):
            value = getattr(self, name)
            if value is not None and value.get_secret_value().strip().lower() in _PLACEHOLDERS:
                raise SettingsError(
                    f"PATBM_{name.upper()} is set to a placeholder; set the real value or unset it"
                )
        if self.telegram_webhook_url and not self.telegram_webhook_secret:
            raise SettingsError(
                "PATBM_TELEGRAM_WEBHOOK_URL is set but PATBM_TELEGRAM_WEBHOOK_SECRET is not: "
                "a webhook without a secret accepts forged updates"
            )
        return self

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_token is not None

    @property
    def whatsapp_enabled(self) -> bool:
        return all(
            (
                self.whatsapp_token,
                self.whatsapp_phone_number_id,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
            )
        )

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def emergency_lines(self) -> list[str]:
        return [part.strip() for part in self.emergency_numbers.split(";") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
