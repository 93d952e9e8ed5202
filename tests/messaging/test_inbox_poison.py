"""Poison updates are set aside on the first try; only transient errors are retried."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy.exc import DataError, IntegrityError, OperationalError, StatementError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import metrics
from bot.core.app import App
from bot.messaging.failures import PERMANENT, TRANSIENT, classify
from bot.messaging.inbox import InboxProcessor
from bot.messaging.messages import Inbound
from bot.runtime.dispatch import dispatch
from bot.runtime.wiring import inbox_channels
from models import OutboxMessage
from tests.support.inbox_hostile_support import (
    handle_all,
    inbox_rows,
    message,
    queued_texts,
    store_updates,
)

USER = 501


@pytest.mark.parametrize(
    ("error", "verdict"),
    [
        (ValueError("could not convert string to float: 'abc'"), PERMANENT),
        (KeyError("latitude"), PERMANENT),
        (TypeError("float() argument"), PERMANENT),
        (AttributeError("'str' object has no attribute 'get'"), PERMANENT),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), PERMANENT),
        (RecursionError(), PERMANENT),
        (DataError("INSERT", {}, Exception("value too long")), PERMANENT),
        (OperationalError("SELECT 1", {}, Exception("server closed the connection")), TRANSIENT),
        (IntegrityError("INSERT", {}, Exception("duplicate key")), TRANSIENT),
        (ConnectionResetError(), TRANSIENT),
        (TimeoutError(), TRANSIENT),
        (RuntimeError("unknown"), TRANSIENT),
        (
            StatementError("binding", "INSERT", {}, UnicodeEncodeError("utf-8", "x", 0, 1, "")),
            PERMANENT,
        ),
        (StatementError("binding", "INSERT", {}, ConnectionResetError()), TRANSIENT),
    ],
)
def test_one_table_says_which_errors_retrying_can_fix(error: Exception, verdict: str) -> None:
    assert classify(error) == verdict


async def test_a_poison_update_is_rejected_at_once_and_never_holds_back_the_next(
    app: App,
) -> None:
    # The resident wrote before (so we know their chat and language), then a broken location.
    await store_updates(app, message(USER, "en", text="/start"))
    await handle_all(app)
    rejected = metrics.UPDATES_HANDLED.labels(channel="telegram", outcome="rejected")
    before = rejected._value.get()
    poison = message(USER, "en", location={"latitude": "abc", "longitude": 103.6})
    await store_updates(app, poison, message(USER, "en", text="/start"))
    # One pass, no waiting: before, the poisoned row was retried with backoff (2, 4, 8, 16 s)
    # and the /start behind it waited 30 s.
    await handle_all(app)
    rows = await inbox_rows(app)
    assert [(r.status, r.attempts) for r in rows] == [("done", 1), ("rejected", 1), ("done", 1)]
    assert rows[1].last_error == "ValueError"  # the class only, never the payload
    assert rejected._value.get() == before + 1
    texts = await queued_texts(app, USER)
    notice = [t for t in texts if "could not process that message" in t]
    assert len(notice) == 1  # kindly, in the resident's language
    assert texts.index(notice[0]) == len(texts) - 2  # and the /start after it was answered


async def test_a_burst_of_poison_updates_gets_one_notice(app: App) -> None:
    await store_updates(app, message(USER, text="/start"))
    await handle_all(app)
    broken = [message(USER, location={"latitude": "abc", "longitude": 1}) for _ in range(10)]
    await store_updates(app, *broken)
    await handle_all(app)
    assert [r.status for r in await inbox_rows(app)][1:] == ["rejected"] * 10
    texts = await queued_texts(app, USER)
    assert sum("tidak bisa kami proses" in t for t in texts) == 1


async def test_a_poison_update_of_a_stranger_is_rejected_without_an_answer(app: App) -> None:
    update = message(USER + 1, location={"latitude": None, "longitude": "x"})
    await store_updates(app, update)
    await handle_all(app)
    assert [(r.status, r.attempts) for r in await inbox_rows(app)] == [("rejected", 1)]
    assert await queued_texts(app, USER + 1) == []


async def test_transient_errors_are_still_retried_within_the_bound(app: App) -> None:
    calls = 0

    async def database_blip(
        app: App, session: AsyncSession, inbound: Inbound
    ) -> Sequence[OutboxMessage]:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise OperationalError("SELECT 1", {}, Exception("connection reset"))
        return await dispatch(app, session, inbound)

    await store_updates(app, message(USER, text="/start"))
    processor = InboxProcessor(
        app, dispatch=database_blip, max_attempts=3, channels=inbox_channels()
    )
    await processor.process_all()
    [row] = await inbox_rows(app)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "OperationalError")
    assert row.locked_until is not None
    app.clock.advance(row.locked_until - app.clock.now())  # type: ignore[attr-defined]
    await processor.process_all()
    [row] = await inbox_rows(app)
    assert (row.status, row.attempts) == ("done", 2)
