"""The dispatcher: identity and state in the caller's transaction, outbox rows, errors, races."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from bot.admin.staff import add_staff
from bot.core.app import App
from bot.core.clock import FixedClock, as_utc
from bot.messaging.messages import Inbound, Reply
from bot.runtime.dispatch import dispatch, dispatch_in_transaction
from handlers.base import Command, Turn
from handlers.router import build_table
from models import ChatIdentity, Conversation, OutboxMessage, RateLimit
from tests.support.chat import Chat
from tests.support.report_support import seed_areas


async def test_identity_conversation_and_outbox_rows(app: App) -> None:
    await seed_areas(app)
    inbound = Inbound("telegram", "42", "chat-42", text="halo")
    queued = await dispatch_in_transaction(app, inbound)
    assert queued and all(q.channel == "telegram" and q.chat_id == "chat-42" for q in queued)
    async with app.db.transaction() as session:
        identity = await session.scalar(select(ChatIdentity))
        conversation = await session.scalar(select(Conversation))
        pending = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status == "pending")
        )
    assert identity is not None and identity.external_id == "42"
    assert identity.last_inbound_at == app.clock.now() and identity.language == "id"
    assert conversation is not None and (conversation.flow, conversation.step) == (
        "report",
        "danger",
    )
    assert pending == len(queued)
    await dispatch_in_transaction(app, Inbound("telegram", "42", "chat-43", text="halo"))
    async with app.db.transaction() as session:
        identities = (await session.scalars(select(ChatIdentity))).all()
    assert len(identities) == 1 and identities[0].chat_id == "chat-43"


async def test_a_button_press_edits_the_prompt_in_place(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    assert all(r.edit_message_id is None for r in chat.replies)
    await chat.option("r:danger:y", prompt="555")
    assert chat.replies[0].edit_message_id == "555"
    assert all(r.edit_message_id is None for r in chat.replies[1:])


async def test_dispatch_uses_the_callers_transaction(app: App) -> None:
    await seed_areas(app)

    class Abort(Exception):
        pass

    with pytest.raises(Abort):
        async with app.db.transaction() as session:
            await dispatch(app, session, Inbound("telegram", "7", "7", text="halo"))
            raise Abort
    async with app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Conversation)) == 0
        assert await session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


async def test_a_failing_handler_rolls_back_and_answers_kindly(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    await seed_areas(app)

    async def boom(turn: Turn) -> None:
        turn.session.add(RateLimit(key="partial-write", count=1, window_start=turn.now))
        await turn.session.flush()
        turn.state.step = "broken"
        turn.reply("half an answer")
        raise ValueError(f"failed on {turn.inbound.text}")  # quotes the user

    chat = Chat(app, handlers=build_table(Command(boom, "/boom")))
    await chat.text("/start")
    with caplog.at_level(logging.ERROR):
        await chat.text("/boom rahasia pribadi")
    assert [r.text for r in chat.replies] == [
        "Maaf, terjadi gangguan. Silakan coba lagi sebentar lagi."
    ]
    assert await chat.step() == "danger"
    async with app.db.transaction() as session:
        assert await session.get(RateLimit, "partial-write") is None
    logged = caplog.text
    assert "handler failed" in logged and "ValueError" in logged
    assert "rahasia" not in logged and "pribadi" not in logged


async def test_staff_only_commands_are_refused_to_residents(app: App) -> None:
    await seed_areas(app)
    seen: list[str] = []

    async def casework(turn: Turn) -> None:
        assert turn.staff is not None
        seen.append(turn.staff.name)
        turn.reply("ok")

    # The router and /bantuan both read the table the turn carries.
    table = build_table(Command(casework, "/KERJA", staff_only=True))
    resident = Chat(app, user_id="resident", handlers=table)
    await resident.text("/kerja")
    assert "hanya untuk petugas PATBM" in resident.texts and not seen
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Bu Kader", "081234567001", "kader", "15.71.01.1001", app.clock.now()
        )
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id="kader-1",
                chat_id="kader-1",
                staff_id=staff.id,
                created_at=app.clock.now(),
            )
        )
    kader = Chat(app, user_id="kader-1", handlers=table)
    await kader.text("/kerja")
    assert seen == ["Bu Kader"]
    await kader.text("/bantuan")
    assert "Perintah untuk petugas" in kader.texts and "/kerja" in kader.texts
    await resident.text("/bantuan")
    assert "Perintah untuk petugas" not in resident.texts


async def test_lost_races_are_retried(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    await seed_areas(app)
    import bot.runtime.dispatch as dispatch_module
    from handlers.router import route as real_route

    calls = {"n": 0}

    async def racing_route(turn: Turn) -> None:
        calls["n"] += 1
        await real_route(turn)
        if calls["n"] == 1:
            raise StaleDataError("another instance changed the conversation")

    monkeypatch.setattr(dispatch_module, "route", racing_route)
    queued = await dispatch_in_transaction(app, Inbound("telegram", "9", "9", text="halo"))
    assert calls["n"] == 2
    async with app.db.transaction() as session:
        rows = await session.scalar(select(func.count()).select_from(OutboxMessage))
    assert rows == len(queued)  # the first attempt's replies were rolled back


async def test_conversation_rows_are_optimistically_locked(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    async with app.db.transaction() as session:
        stale = await session.scalar(select(Conversation))
    assert stale is not None
    await chat.press("n")  # another writer moves the version on
    with pytest.raises(StaleDataError):
        async with app.db.transaction() as session:
            session.add(stale)
            stale.step = "summary"
            await session.flush()


async def test_language_hint_and_bahasa(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app, language_hint="en-US")
    await chat.text("halo")
    assert "Hello, this is PATBM Lapor" in chat.texts
    await chat.text("/bahasa")
    await chat.press("g:lang:id")
    assert "Bahasa diganti" in chat.replies[0].text
    assert "Apakah ada orang yang dalam bahaya" in chat.texts  # the question again
    await chat.text("/language en")
    assert "Language changed to English." in chat.texts
    async with app.db.transaction() as session:
        identity = await session.scalar(select(ChatIdentity))
    assert identity is not None and identity.language == "en"
    await chat.text("/help")
    assert "/status NUMBER PIN" in chat.texts


async def test_a_flow_nobody_handles_any_more_starts_over(app: App) -> None:
    await seed_areas(app)
    async with app.db.transaction() as session:
        session.add(
            Conversation(
                channel="telegram",
                user_id="old",
                chat_id="old",
                flow="retired_flow",
                step="x",
                data={},
                language="id",
                updated_at=app.clock.now(),
            )
        )
    chat = Chat(app, user_id="old")
    await chat.text("halo")
    state = await chat.state()
    assert state is not None and (state.flow, state.step) == ("report", "danger")


async def test_reply_payloads_round_trip(app: App) -> None:
    await seed_areas(app)
    queued: list[Any] = await dispatch_in_transaction(app, Inbound("whatsapp", "1", "1", text="x"))
    replies = [Reply.from_json(q.payload) for q in queued]
    assert replies[-1].options and replies[-1].options[0].id == "r:danger:y"


async def test_last_inbound_at_is_rewritten_only_when_it_moved_a_minute(app: App) -> None:
    # Fewer writes per turn; the window it opens closes at most a minute early, never late.
    assert isinstance(app.clock, FixedClock)
    await seed_areas(app)
    first = app.clock.now()
    await dispatch_in_transaction(app, Inbound("telegram", "42", "chat-42", text="halo"))

    async def stamp() -> object:
        async with app.db.transaction() as session:
            identity = await session.scalar(select(ChatIdentity))
            assert identity is not None and identity.last_inbound_at is not None
            return as_utc(identity.last_inbound_at)

    app.clock.advance(seconds=50)
    await dispatch_in_transaction(app, Inbound("telegram", "42", "chat-42", text="lagi"))
    assert await stamp() == first
    app.clock.advance(seconds=20)
    await dispatch_in_transaction(app, Inbound("telegram", "42", "chat-42", text="lagi"))
    assert await stamp() == app.clock.now()
