"""Logs: one structured line per event, JSON on request, phone numbers scrubbed, and no personal
data in any record during a whole report and its casework."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.admin.audit import audit_trail
from bot.admin.keys import reencrypt
from bot.admin.retention import apply_retention
from bot.admin.staff import add_staff
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.core.logs import (
    PHONE_MASK,
    JsonFormatter,
    ScrubPhoneNumbers,
    TextFormatter,
    configure_logging,
    log_event,
    scrub,
)
from bot.core.metrics import render as render_metrics
from bot.messaging.messages import Contact, Inbound
from bot.reporting.export import write_csv
from bot.reporting.facts import Period, load_case_rows
from bot.runtime.dispatch import dispatch_in_transaction
from models import Case, CaseEvent, ChatIdentity
from tests.support.chat import Chat
from tests.support.report_support import report_until_summary, seed_areas
from tests.support.reporting_seed import KADER_NAME, KADER_PHONE, NOTE

# What report_until_summary types, plus what this test adds.
FLOW_DESCRIPTION = "Anak tetangga sering dipukul ayahnya"
FLOW_LOCATION = "RT 03 RW 02, dekat masjid"
REPORTER_PHONE = "+6285277001234"
FORBIDDEN = (
    FLOW_DESCRIPTION,
    FLOW_LOCATION,
    "dipukul",
    "masjid",
    NOTE,
    "Marlina",
    KADER_NAME,
    "Rahmawati",
    "81234567891",
    "85277001234",
    "7788-9900",
)


@pytest.mark.parametrize(
    "text",
    [
        "call +62 812-3456-7890 now",
        "0812 3456 7890",
        "nomor 081234567890.",
        "wa 6281234567890",
        "+1 (415) 555-0100",
        "+6281234567890",
        "0812-3456-789",
    ],
)
def test_phone_numbers_are_masked(text: str) -> None:
    scrubbed = scrub(text)
    assert PHONE_MASK in scrubbed
    assert not any(ch.isdigit() for ch in scrubbed.replace(PHONE_MASK, "").replace("1 (", ""))


@pytest.mark.parametrize(
    "text",
    [
        "update 123456789 handled",
        "case JMB-7Q4K-2M routed to staff 12",
        "outbox 4521 sent after 3 attempts",
        "2026-11-23T09:00:00+07:00",
        "kelurahan 15.71.01.1001",
        "chat -1001234567890",
    ],
)
def test_ids_references_and_dates_are_kept(text: str) -> None:
    assert scrub(text) == text


def _record(msg: str, *args: object, exc: bool = False, **extra: object) -> logging.LogRecord:
    exc_info = None
    if exc:
        try:
            raise ValueError("bad number 0812-3456-7890")
        except ValueError:
            import sys

            exc_info = sys.exc_info()
    record = logging.LogRecord("bot.test", logging.WARNING, __file__, 1, msg, args, exc_info)
    record.__dict__.update(extra)
    return record


def test_filter_scrubs_message_args_fields_and_traceback() -> None:
    record = _record(
        "sent to %s", "+6281234567890", exc=True, case="JMB-7Q4K-2M", chat="081234567890"
    )
    assert ScrubPhoneNumbers().filter(record)
    assert record.getMessage() == f"sent to {PHONE_MASK}"
    assert record.__dict__["chat"] == PHONE_MASK
    assert record.__dict__["case"] == "JMB-7Q4K-2M"
    assert record.exc_text is not None and "0812" not in record.exc_text
    line = JsonFormatter().format(record)
    assert "\n" not in line
    entry = json.loads(line)
    assert entry["event"] == f"sent to {PHONE_MASK}" and entry["case"] == "JMB-7Q4K-2M"
    assert entry["level"] == "warning" and entry["logger"] == "bot.test"
    assert "ValueError" in entry["exc"]


def test_text_lines_carry_the_fields() -> None:
    line = TextFormatter().format(_record("case routed", case="JMB-7Q4K-2M", staff=4))
    assert line.endswith("WARNING bot.test: case routed case=JMB-7Q4K-2M staff=4")


@pytest.fixture
def restore_root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    try:
        yield
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)


def test_configure_logging_json_lines(
    monkeypatch: pytest.MonkeyPatch, restore_root_logging: None
) -> None:
    monkeypatch.setenv("PATBM_LOG_JSON", "1")
    configure_logging()
    [handler] = logging.getLogger().handlers
    assert isinstance(handler, logging.StreamHandler)
    stream = io.StringIO()
    handler.setStream(stream)
    log_event(logging.getLogger("bot.cases.routing"), "case routed", case="JMB-7Q4K-2M", staff=4)
    logging.getLogger("bot.x").info("reply to %s", "0812 3456 7890")
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert (first["event"], first["case"], first["staff"]) == ("case routed", "JMB-7Q4K-2M", 4)
    assert second["event"] == f"reply to {PHONE_MASK}"


def _leaks(records: list[logging.LogRecord]) -> list[str]:
    formatter = logging.Formatter()
    found = []
    for record in records:
        parts = [record.getMessage(), *(str(v) for v in record.__dict__.values())]
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
        blob = " ".join(parts).lower()
        found += [f"{record.name}: {m}" for m in FORBIDDEN if m.lower() in blob]
    return found


def test_verbose_logging_keeps_database_drivers_quiet(restore_root_logging: None) -> None:
    """At DEBUG, aiosqlite and SQLAlchemy would log bound parameters: names, phone numbers."""
    configure_logging(verbose=True)
    for name in ("aiosqlite", "sqlalchemy.engine.Engine", "httpx", "telegram"):
        assert not logging.getLogger(name).isEnabledFor(logging.INFO), name
    assert logging.getLogger("bot.anything").isEnabledFor(logging.DEBUG)


async def test_no_personal_data_in_logs_during_a_whole_report(
    app: App, caplog: pytest.LogCaptureFixture, restore_root_logging: None
) -> None:
    # The production set-up at its most talkative, captured both raw and as written.
    configure_logging(verbose=True)
    written = io.StringIO()
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(written)
    logging.getLogger().addHandler(caplog.handler)  # configure_logging replaced the handlers
    caplog.set_level(logging.DEBUG)
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        kader = await add_staff(session, KADER_NAME, KADER_PHONE, "kader", "15.71.01.1001", now)
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id="7001",
                chat_id="7001",
                staff_id=kader.id,
                created_at=now,
            )
        )

    # The resident, through the dispatcher with neutral Inbounds, then a stray contact card.
    resident = Chat(app, user_id="5551")
    await report_until_summary(resident)
    await resident.press("send")
    await dispatch_in_transaction(
        app,
        Inbound(
            channel="telegram",
            user_id="5551",
            chat_id="5551",
            contact=Contact(REPORTER_PHONE, "5551"),
        ),
    )
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
        assert case is not None and case.assignee_id == kader.id
        case_id, reference = case.id, case.reference

    # The cadre accepts, writes a note, and looks at the list.
    cadre = Chat(app, user_id="7001")
    await cadre.option(f"k:acc:{case_id}")
    await cadre.option(f"k:note:{case_id}")
    await cadre.text(NOTE)
    await cadre.text("/kasus")
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None and case.status == "diterima"
        notes = (
            await session.scalars(select(CaseEvent.note).where(CaseEvent.case_id == case_id))
        ).all()
        assert NOTE in notes

    # The city office's tools.
    async with app.db.transaction() as session:
        write_csv(await load_case_rows(session, Period()), io.StringIO(), app.settings.zone)
        await audit_trail(
            session, reference, now, app.settings.zone, actor=Actor("admin", channel="cli")
        )
    await apply_retention(app.db, now, 1, actor=Actor("admin", channel="cli"), dry_run=True)
    assert app.keyring is not None
    await reencrypt(app.db, app.keyring)
    await render_metrics(app)

    assert caplog.records, "the flow logs its events"
    assert not _leaks(caplog.records), _leaks(caplog.records)
    output = written.getvalue()
    assert reference in output
    assert not [m for m in FORBIDDEN if m.lower() in output.lower()]
