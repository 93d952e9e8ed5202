"""The report flow survives what happens to it: a restart, Send pressed twice (one after the
other, or at the same moment), a repeated submit, a draft left for a day."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot.casework.creation import submit_report
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.core.db import Database
from bot.messaging.messages import Inbound, Reply
from bot.runtime.dispatch import dispatch_in_transaction
from tests.support.chat import Chat
from tests.support.report_support import (
    KEL_SIMPANG_IV_SIPIN,
    case_count,
    report_until_summary,
    seed_areas,
)


async def test_resume_after_a_restart(app: App, database_url: str) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.press("n")
    await chat.press("fisik")
    await app.db.dispose()
    # A new process: a new engine and App on the same database.
    restarted = App(
        settings=app.settings, db=Database(database_url), clock=app.clock, keyring=app.keyring
    )
    try:
        chat.app = restarted
        await chat.text("halo")  # free text at the category step: re-asked, nothing lost
        assert "✅ Kekerasan fisik" in [o.label for o in chat.options]
        await chat.press("ok")
        assert await chat.step() == "age"
    finally:
        await restarted.db.dispose()


async def test_send_pressed_twice_makes_one_case(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await report_until_summary(chat)
    send = chat.find("send").id
    await chat.option(send, prompt="m-summary")
    await chat.option(send, prompt="m-summary")
    assert "sudah tidak berlaku" in chat.texts
    assert await case_count(app) == 1


async def test_submit_report_is_idempotent_on_the_key(app: App) -> None:
    await seed_areas(app)
    draft = {
        "key": "k-123",
        "pin": "123456",
        "cat": ["fisik"],
        "age": "6-12",
        "sex": "p",
        "kec": "15.71.01",
        "kel": KEL_SIMPANG_IV_SIPIN,
    }
    now = app.clock.now()
    results = []
    for _ in range(2):
        async with app.db.transaction() as session:
            case, pin = await submit_report(
                session,
                draft,
                channel="telegram",
                reporter_user_id="1",
                chat_id="1",
                submission_key="k-123",
                now=now,
                settings=app.settings,
            )
            results.append((case.reference, pin))
    assert results[0] == results[1] and results[0][1] == "123456"
    assert await case_count(app) == 1


async def test_a_draft_untouched_for_a_day_is_discarded(app: App, clock: FixedClock) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.press("n")
    clock.advance(timedelta(hours=23))
    await chat.press("fisik")
    assert await chat.step() == "cat"
    clock.advance(timedelta(hours=25))
    await chat.text("fisik")
    assert "lebih dari 24 jam" in chat.replies[0].text
    assert await chat.step() == "danger"  # a fresh start after the notice


async def test_send_pressed_twice_at_the_same_moment_makes_one_case(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await report_until_summary(chat)
    send = Inbound("telegram", chat.user_id, chat.user_id, option="r:summary:send")
    results = await asyncio.gather(
        dispatch_in_transaction(app, send), dispatch_in_transaction(app, send)
    )
    texts = [Reply.from_json(q.payload).text for queued in results for q in queued]
    assert sum("Nomor laporan" in t for t in texts) == 1
    assert await case_count(app) == 1
