"""The WhatsApp webhook over HTTP: verification, signatures, durable idempotent storage,
statuses, paging presses answered in the channel layer, staff linked by their number."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.channels.whatsapp.render import PAGE_KEY
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.held import FORCE_TEMPLATE, HELD
from bot.messaging.messages import Option, Reply
from bot.messaging.outbox import enqueue
from models import CaseEvent, ChatIdentity
from tests.fakes import whatsapp_payloads as p
from tests.support.casework_fixtures import build_world, events, get_case, report
from tests.support.factories import KELURAHAN, jambi, make_case
from tests.support.whatsapp_support import (
    APP_SECRET,
    VERIFY_TOKEN,
    add_identity,
    inbox_rows,
    outbox_rows,
    post_values,
    webhook_client,
    whatsapp_app,
)

PHONE = "6281234567890"


@pytest.fixture
def wa(app: App) -> App:
    return whatsapp_app(app)


async def test_verification_echoes_the_challenge_only_for_the_right_token(wa: App) -> None:
    async with webhook_client(wa) as client:
        good = await client.get(
            "/webhooks/whatsapp",
            params={
                "hub.mode": "subscribe",
                "hub.verify_token": VERIFY_TOKEN,
                "hub.challenge": "42",
            },
        )
        assert (good.status_code, good.text) == (200, "42")
        for params in (
            {"hub.mode": "subscribe", "hub.verify_token": "wrong", "hub.challenge": "42"},
            {"hub.mode": "unsubscribe", "hub.verify_token": VERIFY_TOKEN, "hub.challenge": "42"},
            {"hub.challenge": "42"},
        ):
            assert (await client.get("/webhooks/whatsapp", params=params)).status_code == 403


async def test_missing_or_bad_signature_is_refused_and_nothing_stored(wa: App) -> None:
    body = p.envelope(p.text_message("wamid.1", PHONE, "halo"))
    async with webhook_client(wa) as client:
        missing = await client.post("/webhooks/whatsapp", content=body)
        assert missing.status_code == 401
        forged = await client.post(
            "/webhooks/whatsapp", content=body, headers=p.signed(body, "not-the-secret")
        )
        assert forged.status_code == 403
        # Signed over other bytes than those sent: the raw body is what counts.
        tampered = body.replace(b"halo", b"HALO")
        moved = await client.post(
            "/webhooks/whatsapp", content=tampered, headers=p.signed(body, APP_SECRET)
        )
        assert moved.status_code == 403
    assert await inbox_rows(wa) == []


async def test_signed_message_is_stored_once_even_when_posted_twice(wa: App) -> None:
    async with webhook_client(wa) as client:
        value = p.text_message("wamid.HBgM1", PHONE, "Saya mau lapor")
        assert (await post_values(client, value)).status_code == 200
        assert (await post_values(client, value)).status_code == 200
        # A batch with the same message and a new one: only the new one is added.
        both = (value, p.image_message("wamid.HBgM2", PHONE, "777"))
        assert (await post_values(client, *both)).status_code == 200
    rows = await inbox_rows(wa)
    assert [(r.update_key, r.chat_key, r.status) for r in rows] == [
        ("wamid.HBgM1", f"wa:{PHONE}", "pending"),
        ("wamid.HBgM2", f"wa:{PHONE}", "pending"),
    ]
    assert rows[0].payload["message"]["text"]["body"] == "Saya mau lapor"


async def test_delivery_statuses_update_the_outbox(wa: App) -> None:
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        row = enqueue(session, channel="whatsapp", chat_id=PHONE, reply=Reply("x"), now=now)
        row.status, row.platform_message_id, row.sent_at = "sent", "wamid.OUT1", now
    async with webhook_client(wa) as client:
        response = await post_values(client, p.status_update("wamid.OUT1", "delivered", PHONE))
        assert response.status_code == 200
        unknown = await post_values(client, p.status_update("wamid.OTHER", "read", PHONE))
        assert unknown.status_code == 200
    (stored,) = await outbox_rows(wa)
    assert stored.delivered_at is not None
    assert await inbox_rows(wa) == []


async def test_failed_131047_is_queued_again_as_a_template(wa: App) -> None:
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        row = enqueue(session, channel="whatsapp", chat_id=PHONE, reply=Reply("Tugas"), now=now)
        row.status, row.platform_message_id = "sent", "wamid.OUT2"
    async with webhook_client(wa) as client:
        body = p.status_update("wamid.OUT2", "failed", PHONE, error_code=131047)
        assert (await post_values(client, body)).status_code == 200
    (stored,) = await outbox_rows(wa)
    assert stored.status == "pending" and stored.platform_message_id is None
    assert Reply.from_json(stored.payload).extra[FORCE_TEMPLATE] is True


async def test_failed_otherwise_marks_the_row_failed_with_a_case_event(wa: App) -> None:
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        await jambi(session)
        case = make_case(now)
        session.add(case)
        await session.flush()
        row = enqueue(
            session, channel="whatsapp", chat_id=PHONE, reply=Reply("x"), now=now, case_id=case.id
        )
        row.status, row.platform_message_id = "sent", "wamid.OUT3"
    async with webhook_client(wa) as client:
        body = p.status_update("wamid.OUT3", "failed", PHONE, error_code=131026)
        assert (await post_values(client, body)).status_code == 200
    (stored,) = await outbox_rows(wa)
    assert stored.status == "failed"
    async with wa.db.transaction() as session:
        events = (await session.scalars(select(CaseEvent))).all()
    assert [(e.kind, e.data["reason"]) for e in events] == [
        ("delivery_failed", "whatsapp 131026 (delivery)")
    ]


async def test_an_undeliverable_assignment_moves_the_case_on(wa: App) -> None:
    world = await build_world(wa)
    case_id = await report(wa)
    first = (await get_case(wa, case_id)).assignee_id
    assert first in (world.kader_a, world.kader_b)
    async with wa.db.transaction() as session:
        row = enqueue(
            session,
            channel="whatsapp",
            chat_id=PHONE,
            reply=Reply("Kasus baru"),
            now=wa.clock.now(),
            kind="assignment",
            case_id=case_id,
            staff_id=first,
        )
        row.status, row.platform_message_id = "sent", "wamid.ASSIGN"
    async with webhook_client(wa) as client:
        body = p.status_update("wamid.ASSIGN", "failed", PHONE, error_code=131026)
        assert (await post_values(client, body)).status_code == 200
    case = await get_case(wa, case_id)
    assert case.assignee_id not in (None, first)
    assert [e.data["reason"] for e in await events(wa, case_id, "delivery_failed")] == [
        "whatsapp 131026 (delivery)"
    ]


async def test_next_page_press_is_answered_without_the_conversation_handlers(wa: App) -> None:
    now = wa.clock.now()
    options = tuple(Option(id=f"r:kel:{i}", label=f"Kelurahan {i}") for i in range(25))
    async with wa.db.transaction() as session:
        row = enqueue(
            session, channel="whatsapp", chat_id=PHONE, reply=Reply("Pilih", options), now=now
        )
        row.status, row.platform_message_id = "sent", "wamid.LIST"
    async with webhook_client(wa) as client:
        press = p.list_reply("wamid.PRESS", PHONE, "wa:pg:1", context_id="wamid.LIST")
        assert (await post_values(client, press)).status_code == 200
        assert (await post_values(client, press)).status_code == 200  # a retry: no effect
        stale = p.list_reply("wamid.PRESS2", PHONE, "wa:pg:2", context_id="wamid.GONE")
        assert (await post_values(client, stale)).status_code == 200
    rows = await outbox_rows(wa)
    assert [r.kind for r in rows] == ["reply", "wa_page", "reply"]
    page = Reply.from_json(rows[1].payload)
    assert page.options == options and page.extra[PAGE_KEY] == 1
    assert "tidak tersedia" in Reply.from_json(rows[2].payload).text
    # Stored for idempotence, already handled: the processor never dispatches them.
    assert [(r.update_key, r.status) for r in await inbox_rows(wa)] == [
        ("wamid.PRESS", "done"),
        ("wamid.PRESS2", "done"),
    ]


async def test_registered_staff_number_is_linked_at_first_contact(wa: App) -> None:
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        await jambi(session)
        staff = await add_staff(session, "Bu Sari", "0812-3456-7890", "kader", KELURAHAN, now)
    async with webhook_client(wa) as client:
        await post_values(client, p.text_message("wamid.S1", PHONE, "halo"))
        await post_values(client, p.text_message("wamid.S2", "6289999999999", "halo"))
        await post_values(client, p.text_message("wamid.S3", PHONE, "lagi"))
    async with wa.db.transaction() as session:
        identities = (await session.scalars(select(ChatIdentity))).all()
    assert [(i.external_id, i.staff_id) for i in identities] == [(PHONE, staff.id)]
    # The window is open at once: the confirmation must not wait for a template.
    assert identities[0].last_inbound_at == now
    linked = [r for r in await outbox_rows(wa) if r.kind == "linked"]
    assert len(linked) == 1 and "Bu Sari" in Reply.from_json(linked[0].payload).text


async def test_a_message_releases_what_was_held_while_the_window_was_closed(
    wa: App, clock: FixedClock
) -> None:
    now = wa.clock.now()
    await add_identity(wa, PHONE, last_inbound_at=now - timedelta(days=3))
    async with wa.db.transaction() as session:
        held = enqueue(session, channel="whatsapp", chat_id=PHONE, reply=Reply("Tugas"), now=now)
        held.status = HELD
        other = enqueue(session, channel="whatsapp", chat_id="628000", reply=Reply("y"), now=now)
        other.status = HELD
        stale = enqueue(
            session,
            channel="whatsapp",
            chat_id=PHONE,
            reply=Reply("z"),
            now=now - timedelta(days=4),
        )
        stale.status = HELD
    clock.advance(timedelta(minutes=5))
    async with webhook_client(wa) as client:
        await post_values(client, p.text_message("wamid.W1", PHONE, "ok"))
    rows = await outbox_rows(wa)
    assert [(r.chat_id, r.status) for r in rows] == [
        (PHONE, "pending"),
        ("628000", HELD),
        (PHONE, "failed"),  # held for days: the case has moved on, not sent late
    ]
    async with wa.db.transaction() as session:
        identity = await session.scalar(select(ChatIdentity))
    assert identity is not None and identity.last_inbound_at == wa.clock.now()
