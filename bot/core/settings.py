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
    whatsapp_api_version: str = "v23.0"
    # Approved template for staff notifications outside the 24-hour window; body {{1}} = reference.
    whatsapp_template_notify: str | None = "patbm_notifikasi"
    whatsapp_template_language: str = "id"

    http_host: str = "127.0.0.1"
    http_port: int = 8080
    # Where people reach this server from outside (the dashboard links of `/dasbor`), e.g.
    # https://patbm.example.go.id; when unset, the origin of the webhook URL, else host:port.
    public_url: str | None = None
    dashboard_link_minutes: float = Field(default=10, gt=0)
    dashboard_session_hours: float = Field(default=8, gt=0)

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
    # Wrong PINs for one reference from all chats together, then it is locked for the rest of
    # this many minutes from the first of them (bot/casework/status.py).
    status_reference_max_failures: int = Field(default=10, ge=1)
    status_reference_lock_minutes: int = Field(default=15, ge=1)
    # Updates of one chat handled per minute; the rest are kept, not handled, and answered once
    # (bot/messaging/inbox_guard.py). Someone typing sends a few a minute; an album of photos is up to 10.
    inbound_chat_per_minute: int = Field(default=30, ge=1)

    # Working time for ordinary deadlines (bot/cases/worktime.py); holidays and cuti bersama from lokal-id.
    work_start: str = "08:00"
    work_end: str = "16:00"
    # Days off, 0 = Sunday … 6 = Saturday (lokal-id's convention).
    work_weekend: str = "0,6"
    work_cuti_bersama_off: bool = True
    # Escalation ladder (bot/escalation/ladder.py).
    accept_working_hours: float = Field(default=4, gt=0)
    darurat_accept_minutes: float = Field(default=30, gt=0)  # wall clock
    remind_update_days: int = Field(default=3, ge=1)  # working days without an update
    escalate_resolve_days: int = Field(default=7, ge=1)  # working days
    escalate_resolve_darurat_days: float = Field(default=2, gt=0)  # wall-clock days
    remind_referral_days: int = Field(default=3, ge=1)  # working days
    routing_retry_minutes: float = Field(
        default=30,
        gt=0,
        description=(
            "A new case nobody could be given to (no cadre on duty, no coordinator, no Dinas "
            "officer) is routed again this many wall-clock minutes later, until someone is there."
        ),
    )
    # Digests (bot/reporting/digest.py): local time, and the weekday of the chart (0 = Monday).
    digest_time: str = "07:00"
    digest_chart_weekday: int = Field(default=0, ge=0, le=6)
    # Outbox delivery (bot/messaging/delivery.py).
    outbox_max_attempts: int = Field(default=12, ge=1)
    outbox_lease_seconds: float = Field(default=60, gt=0)
    outbox_poll_seconds: float = Field(default=5, gt=0)
    outbox_batch_size: int = Field(default=50, ge=1)
    outbox_backoff_base_seconds: float = Field(default=2, gt=0)
    outbox_backoff_max_seconds: float = Field(default=3600, gt=0)
    # A pending row holds back the newer rows of its chat while it is due or due within this
    # many seconds (a 429's retry_after, a short backoff), so order survives short failures; a
    # row due later than that (scheduled, a long backoff) holds back nothing (outbox_claim.py).
    outbox_order_hold_seconds: float = Field(default=120, ge=0)
    # Each `patbm run` beats this often (bot/messaging/instances.py); after 3 beats missed, the leases it
    # holds are taken over by the others.
    instance_heartbeat_seconds: float = Field(default=2, gt=0)
    # Messages a second per channel (this process's share of the platform's limit). Sends are
    # spaced one at a time, counted from the previous send's actual moment when the event loop
    # ran late (bot/messaging/limits.py), so lag does not bunch them over the limit: no margin below
    # Telegram's 30/s is needed for that.
    telegram_rate_per_second: float = Field(default=30, gt=0)
    whatsapp_rate_per_second: float = Field(default=50, gt=0)
    chat_rate_per_second: float = Field(default=1, gt=0)
    # Messages a private chat may get at once before the sustained rate applies (a reply of a
    # few messages arrives whole); groups get none (20 a minute).
    chat_burst: int = Field(default=3, ge=1, le=10)
    # Clean-up (bot/runtime/scheduler.py): handled inbox rows and sent outbox rows are kept this long.
    inbox_retention_days: int = Field(default=14, ge=1)

    log_json: bool = False
    # Closed cases older than this lose their personal fields (`patbm retention apply`).
    retention_months: int = Field(default=24, ge=1, le=600)
    # Evidence files: fetch attempts before a file counts as failed (backoff between them).
    evidence_fetch_attempts: int = Field(default=6, ge=1)
    # The reporter who agreed to contact is asked this long after closing whether it was handled.
    followup_delay_days: float = Field(default=3, gt=0)

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
    def public_base_url(self) -> str:
        """The dashboard's origin as people's browsers see it, without a trailing slash."""
        if self.public_url:
            return self.public_url.rstrip("/")
        if self.telegram_webhook_url:
            scheme, _, rest = self.telegram_webhook_url.partition("://")
            return f"{scheme}://{rest.split('/', 1)[0]}"
        return f"http://{self.http_host}:{self.http_port}"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def emergency_lines(self) -> list[str]:
        return [part.strip() for part in self.emergency_numbers.split(";") if part.strip()]


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
