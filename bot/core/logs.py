"""Logging set-up. Log lines carry ids and references, never message text or phone numbers.

One line per event. With PATBM_LOG_JSON set, each line is a JSON object: `at`, `level`,
`logger`, `event` (the message) and every field passed in `extra` (ids: case, update, outbox,
chat, staff, job, ...). Without it, a readable line with the same fields as `key=value`.

    log.info("case routed", extra={"case": case.reference, "staff": staff.id})
    log_event(log, "case routed", case=case.reference, staff=staff.id)   # the same

As a second line of defence, `ScrubPhoneNumbers` (installed on the handler) replaces anything
that looks like a phone number in the message, its arguments, the fields and tracebacks with
`[nomor]`. It is a safety net, not a licence: code must not log personal data in the first place.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

PHONE_MASK = "[nomor]"
# +62 812-3456-7890, 0812 3456 7890, 6281234567890, +1 (415) 555-0100: a plus and 8+ digits,
# or an Indonesian mobile number (0 8.. or 62 8..) in any usual spelling.
PHONE_RE = re.compile(
    r"(?<![\w+])\+\d(?:[\s\-.()]{0,2}\d){7,14}(?!\d)"
    r"|(?<![\w+])(?:62|0)[\s\-.]?8\d(?:[\s\-.]?\d){6,11}(?!\d)"
)

# Attributes every LogRecord has; anything else on a record came from `extra`.
_STANDARD = set(logging.makeLogRecord({}).__dict__) | {"message", "asctime", "taskName"}


def scrub(text: str) -> str:
    return PHONE_RE.sub(PHONE_MASK, text)


def _scrub_value(value: Any) -> Any:
    if isinstance(value, str):
        return scrub(value)
    if isinstance(value, dict):
        return {k: _scrub_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_scrub_value(v) for v in value]
    return value


class ScrubPhoneNumbers(logging.Filter):
    """Masks phone numbers in a record before any formatter sees it."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        record.msg = scrub(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        for key in fields_of(record):
            setattr(record, key, _scrub_value(getattr(record, key)))
        return True


def fields_of(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in record.__dict__.items() if k not in _STANDARD}


def _plain(value: Any) -> Any:
    return value if isinstance(value, str | int | float | bool | type(None)) else str(value)


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "at": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": record.getMessage(),
        }
        for key, value in fields_of(record).items():
            entry.setdefault(key, _plain(value))
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """`2026-11-23 09:00:00,123 INFO bot.cases.routing: case routed case=JMB-7Q4K-2M staff=4`."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        fields = fields_of(record)
        if not fields:
            return line
        head, newline, rest = line.partition("\n")  # a traceback stays below the line
        pairs = " ".join(f"{k}={_plain(v)}" for k, v in fields.items())
        return f"{head} {pairs}{newline}{rest}"


def log_event(logger: logging.Logger, event: str, *, level: int = logging.INFO, **ids: Any) -> None:
    """One structured line: an event name and ids (never text a person wrote)."""
    logger.log(level, event, extra=ids, stacklevel=2)


def json_logs_enabled() -> bool:
    return os.environ.get("PATBM_LOG_JSON", "").strip().lower() in {"1", "true", "yes", "on"}


def configure_logging(*, verbose: bool = False, json_lines: bool | None = None) -> None:
    handler = logging.StreamHandler(sys.stderr)
    use_json = json_logs_enabled() if json_lines is None else json_lines
    handler.setFormatter(JsonFormatter() if use_json else TextFormatter())
    handler.addFilter(ScrubPhoneNumbers())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    # Library loggers would print request URLs, which carry the bot token.
    for noisy in (
        "httpx",
        "httpcore",
        "telegram",
        "apscheduler",
        "aiosqlite",
        "asyncio",
        "alembic",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def log_to_file(path: Path) -> None:
    """Log lines to `path` instead of the screen (`patbm chat`: never between the messages)."""
    root = logging.getLogger()
    formatter = root.handlers[0].formatter if root.handlers else None
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(formatter or TextFormatter())
    handler.addFilter(ScrubPhoneNumbers())
    for old in root.handlers:
        old.close()
    root.handlers[:] = [handler]
