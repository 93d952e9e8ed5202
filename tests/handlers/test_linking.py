"""Staff linking through Telegram updates: invite code, own contact; a spoofed contact links nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.admin.staff import add_staff, create_invite
from bot.channels.telegram.parse import chat_key, update_key
from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.messaging.inbox_store import store
from bot.runtime.dispatch import dispatch
from bot.runtime.wiring import inbox_channels
from models import ChatIdentity, OutboxMessage
from tests.fakes.telegram_api import FakeTelegram
from tests.support.factories import KELURAHAN, jambi

PHONE = "+6281234567890"


async def _setup(app: App) -> int:
    async with app.db.transaction() as session:
        await jambi(session)
        staff = await add_staff(session, "Siti Kader", PHONE, "kader", KELURAHAN, app.clock.now())
        return staff.id


async def _send(app: App, update: dict[str, Any]) -> list[dict[str, Any]]:
    """Store one Telegram update, handle it; the replies it queued."""
    async with app.db.transaction() as session:
        before = len((await session.scalars(select(OutboxMessage))).all())
        await store(
            session,
            channel="telegram",
            update_key=update_key(update),
            chat_key=chat_key(update),
            payload=update,
            now=app.clock.now(),
        )
    await InboxProcessor(app, dispatch=dispatch, channels=inbox_channels()).process_all()
    async with app.db.transaction() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        return [r.payload for r in rows[before:]]


async def _linked(app: App, user_id: int) -> int | None:
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == str(user_id))
        )
        return identity.staff_id if identity else None


def _message(fake: FakeTelegram, user_id: int, **fields: Any) -> dict[str, Any]:
    return fake.make_update(user_id, fake.message_body(user_id, **fields))


async def test_own_contact_of_a_staff_member_links(app: App) -> None:
    staff_id = await _setup(app)
    fake = FakeTelegram()
    asked = await _send(app, _message(fake, 301, text="/daftar"))
    assert asked[0]["request_contact"] is True
    replies = await _send(
        app,
        _message(
            fake, 301, contact={"phone_number": "6281234567890", "first_name": "S", "user_id": 301}
        ),
    )
    assert await _linked(app, 301) == staff_id
    assert "Siti Kader" in replies[0]["text"]
    assert replies[0]["extra"]["remove_keyboard"] is True
    again = await _send(app, _message(fake, 301, text="/daftar"))
    assert "sudah terhubung" in again[0]["text"]


async def test_a_forwarded_contact_of_someone_else_links_nothing(app: App) -> None:
    await _setup(app)
    fake = FakeTelegram()
    await _send(app, _message(fake, 302, text="/daftar"))
    for contact_user in (999, None):
        contact: dict[str, Any] = {"phone_number": PHONE, "first_name": "Siti"}
        if contact_user is not None:
            contact["user_id"] = contact_user
        replies = await _send(app, _message(fake, 302, contact=contact))
        assert "bukan nomor akun Anda sendiri" in replies[0]["text"]
        assert replies[0]["request_contact"] is True
    assert await _linked(app, 302) is None


async def test_own_contact_that_is_not_staff_links_nothing(app: App) -> None:
    await _setup(app)
    fake = FakeTelegram()
    replies = await _send(
        app,
        _message(
            fake, 303, contact={"phone_number": "+6281299999999", "first_name": "X", "user_id": 303}
        ),
    )
    assert "belum terdaftar" in replies[0]["text"]
    assert await _linked(app, 303) is None


async def test_start_with_invite_code_links_once(app: App) -> None:
    staff_id = await _setup(app)
    async with app.db.transaction() as session:
        _, code = await create_invite(session, PHONE, app.clock.now())
    fake = FakeTelegram()
    replies = await _send(app, _message(fake, 304, text=f"/start {code}"))
    assert await _linked(app, 304) == staff_id
    assert "Siti Kader" in replies[0]["text"]
    # Used up: another account cannot take it.
    refused = await _send(app, _message(fake, 305, text=f"/start {code}"))
    assert "tidak berlaku" in refused[0]["text"]
    assert await _linked(app, 305) is None
    welcome = await _send(app, _message(fake, 306, text="/start"))
    assert welcome and welcome[0]["text"]


def _contact(fake: FakeTelegram, user_id: int, phone: str, owner: int | None) -> dict[str, Any]:
    card: dict[str, Any] = {"phone_number": phone, "first_name": "S"}
    if owner is not None:
        card["user_id"] = owner
    return _message(fake, user_id, contact=card)


def _callback(fake: FakeTelegram, user_id: int, data: str) -> dict[str, Any]:
    return fake.make_update(user_id, fake.callback_body(user_id, data, 1), kind="callback_query")


async def _flow(app: App, user_id: int) -> tuple[str | None, str | None]:
    from models import Conversation

    async with app.db.transaction() as session:
        row = await session.scalar(select(Conversation).where(Conversation.user_id == str(user_id)))
        return (row.flow, row.step) if row else (None, None)


async def test_a_cadre_presses_start_then_shares_their_contact_and_is_linked(app: App) -> None:
    staff_id = await _setup(app)
    fake = FakeTelegram()
    [welcome] = await _send(app, _message(fake, 311, text="/start"))
    # One message: the welcome (with its one line for staff) and the first question.
    assert "/daftar" in welcome["text"]
    assert "bahaya SEKARANG" in welcome["text"] and welcome["options"]
    [linked] = await _send(app, _contact(fake, 311, "6281234567890", 311))
    assert await _linked(app, 311) == staff_id
    assert "Siti Kader" in linked["text"] and "Kader PATBM" in linked["text"]
    assert "dibatalkan" not in linked["text"]  # nothing was answered: no draft to speak of
    assert [o["id"] for o in linked["options"]] == ["k:list:open", "i:start"]
    assert await _flow(app, 311) == (None, None)


async def test_own_staff_contact_mid_report_links_and_says_the_draft_is_dropped(
    app: App,
) -> None:
    staff_id = await _setup(app)
    fake = FakeTelegram()
    await _send(app, _message(fake, 312, text="/start"))
    await _send(app, _callback(fake, 312, "r:danger:n"))
    await _send(app, _callback(fake, 312, "r:cat:fisik"))
    assert await _flow(app, 312) == ("report", "cat")
    [linked] = await _send(app, _contact(fake, 312, PHONE, 312))
    assert await _linked(app, 312) == staff_id
    assert "dibatalkan dan tidak dikirim" in linked["text"]
    assert await _flow(app, 312) == (None, None)
    [home] = await _send(app, _message(fake, 312, text="/start"))
    assert "Siti Kader" in home["text"] and "bahaya" not in home["text"]


async def test_contacts_in_the_report_that_link_nothing_keep_the_reports_answer(
    app: App,
) -> None:
    await _setup(app)
    fake = FakeTelegram()
    await _send(app, _message(fake, 313, text="/start"))
    await _send(app, _callback(fake, 313, "r:danger:n"))
    # A resident's own number (not staff), and a forwarded card of a staff member.
    for update in (
        _contact(fake, 313, "+6281299999999", 313),
        _contact(fake, 313, PHONE, 999),
        _contact(fake, 313, PHONE, None),
    ):
        [answer] = await _send(app, update)
        assert "Kontak tidak diperlukan" in answer["text"]
        assert "Kekerasan apa" in answer["text"]  # and the question again, in one message
        assert await _linked(app, 313) is None
        assert await _flow(app, 313) == ("report", "cat")
