"""The outbox side of a closed window (bot/messaging/held.py) and of delivery receipts
(bot/messaging/receipts.py), without a platform: rows in, rows out."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.staff import add_staff
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.core.settings import Settings
from bot.messaging import held, receipts
from bot.messaging.held import FORCE_TEMPLATE, HELD, HELD_KIND
from bot.messaging.messages import Media, Reply
from bot.messaging.outbox import enqueue
from bot.messaging.outcomes import DeliveryHooks
from models import ChatIdentity, OutboxMessage
from tests.support.factories import KELURAHAN, jambi

CHANNEL = "whatsapp"
CHAT = "6282222222222"


async def _rows(app: App) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def test_recipient_is_staff_only_while_the_linked_member_is_active(app: App) -> None:
    now = app.clock.now()
    assert await held.recipient(app.db, CHANNEL, CHAT) == held.Recipient(False, None, None)
    async with app.db.transaction() as session:
        await jambi(session)
        staff = await add_staff(session, "Pak Budi", "+" + CHAT, "kader", KELURAHAN, now)
        staff.language = "en"
        session.add(
            ChatIdentity(
                channel=CHANNEL,
                external_id=CHAT,
                chat_id=CHAT,
                staff_id=staff.id,
                last_inbound_at=now,
                created_at=now,
            )
        )
    assert await held.recipient(app.db, CHANNEL, CHAT) == held.Recipient(True, now, "en")
    assert not (await held.recipient(app.db, "telegram", CHAT)).is_staff
    async with app.db.transaction() as session:
        member = await session.merge(staff)
        member.active = False
    # No longer staff: not templated, and not in their staff language either.
    assert await held.recipient(app.db, CHANNEL, CHAT) == held.Recipient(False, now, None)


async def test_hold_copies_the_leased_row_without_template_flags_or_bytes(app: App) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        leased = enqueue(
            session, channel=CHANNEL, chat_id=CHAT, reply=Reply("x"), now=now, kind="assignment"
        )
        leased.locked_until = now + timedelta(minutes=1)
    assert not await held.has_held(app.db, CHANNEL, CHAT)
    media = Media(kind="photo", file_id="bukti.jpg", content_b64="AAAA", mime_type="image/jpeg")
    extra = {FORCE_TEMPLATE: True, "template": "t", "evidence_id": 7, "reference": "R"}
    await held.hold(app.db, CHANNEL, CHAT, Reply("Tugas", media=media, extra=extra), now)
    await held.hold(app.db, CHANNEL, "6280000", Reply("lain"), now)  # nothing leased there
    assert await held.has_held(app.db, CHANNEL, CHAT)
    assert not await held.has_held(app.db, "telegram", CHAT)
    _, copy, other = await _rows(app)
    assert (copy.status, copy.kind, copy.case_id) == (HELD, "assignment", leased.case_id)
    kept = Reply.from_json(copy.payload)
    assert kept.text == "Tugas" and kept.media is None
    assert kept.extra == {"evidence_id": 7, "reference": "R"}
    assert (other.status, other.kind) == (HELD, HELD_KIND)


async def test_release_sends_what_was_held_and_fails_what_is_stale(
    app: App, clock: FixedClock
) -> None:
    now = app.clock.now()
    await held.hold(app.db, CHANNEL, CHAT, Reply("lama"), now - timedelta(days=4))
    await held.hold(app.db, CHANNEL, CHAT, Reply("baru"), now)
    await held.hold(app.db, CHANNEL, "6280000", Reply("lain"), now)
    clock.advance(timedelta(minutes=5))
    async with app.db.transaction() as session:
        released = await held.release(session, CHANNEL, CHAT, app.clock.now())
    assert released == 1
    stale, fresh, other = await _rows(app)
    assert (stale.status, stale.last_error) == ("failed", "held too long outside the window")
    assert (fresh.status, fresh.next_attempt_at) == ("pending", app.clock.now())
    assert other.status == HELD


class _Failed:
    """DeliveryHooks.failed that notes what it was told."""

    def __init__(self) -> None:
        self.calls: list[tuple[int, str]] = []

    async def __call__(
        self,
        session: AsyncSession,
        row: OutboxMessage,
        reason: str,
        now: datetime,
        settings: Settings,
    ) -> None:
        self.calls.append((row.id, reason))


async def _never(db: object, reply: Reply) -> Reply:
    raise AssertionError("receipts never prepare a reply")


async def _sent(app: App, wamid: str, **extra: object) -> int:
    async with app.db.transaction() as session:
        row = enqueue(
            session,
            channel=CHANNEL,
            chat_id=CHAT,
            reply=Reply("x", extra=extra),
            now=app.clock.now(),
        )
        row.status, row.platform_message_id = "sent", wamid
        await session.flush()
        return row.id


async def test_a_failure_after_sending_resends_as_template_once_then_fails(app: App) -> None:
    failed = _Failed()
    hooks = DeliveryHooks(prepare=_never, failed=failed)
    outside = await _sent(app, "w.1")
    forced = await _sent(app, "w.2", **{FORCE_TEMPLATE: True})
    other = await _sent(app, "w.3")
    now = app.clock.now()
    queued = 0
    async with app.db.transaction() as session:
        for wamid, window in (("w.1", True), ("w.2", True), ("w.3", False), ("w.9", True)):
            queued += await receipts.failed_later(
                session,
                CHANNEL,
                wamid,
                reason=f"failed {wamid}",
                outside_window=window,
                now=now,
                settings=app.settings,
                hooks=hooks,
            )
        await receipts.delivered(session, CHANNEL, "w.1", now)  # no longer its wamid: ignored
    assert queued == 1
    assert failed.calls == [(forced, "failed w.2"), (other, "failed w.3")]
    first, second, third = await _rows(app)
    assert (first.id, first.status, first.platform_message_id) == (outside, "pending", None)
    assert Reply.from_json(first.payload).extra[FORCE_TEMPLATE] is True
    assert [(r.status, r.last_error) for r in (second, third)] == [
        ("failed", "failed w.2"),
        ("failed", "failed w.3"),
    ]
    assert first.delivered_at is None


async def test_delivered_is_recorded_once(app: App, clock: FixedClock) -> None:
    await _sent(app, "w.1")
    first = app.clock.now()
    for _ in range(2):
        async with app.db.transaction() as session:
            await receipts.delivered(session, CHANNEL, "w.1", app.clock.now())
        clock.advance(timedelta(minutes=1))
    (row,) = await _rows(app)
    assert row.delivered_at == first
