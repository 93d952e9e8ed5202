"""Sending over real HTTP to the fake Graph API: the window, the template, the error mapping."""

from __future__ import annotations

import base64
from collections.abc import AsyncIterator
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.channels.whatsapp.channel import setup
from bot.channels.whatsapp.send import WhatsAppSender
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.held import HELD
from bot.messaging.messages import Media, Option, Reply
from bot.messaging.sending import PermanentFailure, RetryLater
from models import OutboxMessage
from tests.fakes import whatsapp_payloads as p
from tests.fakes.whatsapp_api import FakeWhatsAppAPI
from tests.fakes.whatsapp_payloads import PHONE_NUMBER_ID
from tests.support.factories import KELURAHAN, jambi
from tests.support.whatsapp_support import (
    ACCESS_TOKEN,
    add_identity,
    outbox_rows,
    post_values,
    webhook_client,
    whatsapp_app,
)

RESIDENT = "6281111111111"
CADRE = "6282222222222"
ASSIGNMENT = Reply(
    "Kasus baru JMB-7Q4K-2M di kelurahan Anda. Mohon diterima.",
    (Option("s:acc:1", "Terima"), Option("s:dec:1", "Tolak")),
)


@pytest.fixture
async def fake() -> AsyncIterator[FakeWhatsAppAPI]:
    async with FakeWhatsAppAPI(token=ACCESS_TOKEN, phone_number_id=PHONE_NUMBER_ID) as api:
        yield api


@pytest.fixture
async def wa(app: App, fake: FakeWhatsAppAPI) -> App:
    return whatsapp_app(app, fake.url)


@pytest.fixture
async def sender(wa: App) -> AsyncIterator[WhatsAppSender]:
    async with httpx.AsyncClient() as http:
        yield setup(wa, http)


async def _cadre(wa: App, *, hours_ago: float) -> None:
    async with wa.db.transaction() as session:
        await jambi(session)
        staff = await add_staff(
            session, "Pak Budi", "+" + CADRE, "kader", KELURAHAN, wa.clock.now()
        )
    await add_identity(
        wa, CADRE, last_inbound_at=wa.clock.now() - timedelta(hours=hours_ago), staff_id=staff.id
    )


async def test_within_the_window_the_reply_goes_as_is(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now() - timedelta(hours=23))
    result = await sender.send(RESIDENT, Reply("Apakah anak dalam bahaya?", ASSIGNMENT.options))
    (message,) = fake.sent
    assert result.platform_message_id == message["_wamid"]
    assert message["to"] == RESIDENT and message["interactive"]["type"] == "button"


async def test_business_scoped_ids_go_in_the_recipient_field(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await add_identity(wa, "ID.1410018717", last_inbound_at=wa.clock.now())
    await sender.send("ID.1410018717", Reply("Terima kasih"))
    (message,) = fake.sent
    assert message["recipient"] == "ID.1410018717" and "to" not in message


async def test_a_reporter_outside_the_window_is_not_messaged(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now() - timedelta(hours=25))
    with pytest.raises(PermanentFailure) as refused:
        await sender.send(RESIDENT, Reply("Status kasus Anda berubah"))
    assert refused.value.reason == "outside_window_not_staff"
    with pytest.raises(PermanentFailure):  # even when the worker asks for the template
        await sender.send(RESIDENT, Reply("x", extra={"template_fallback": True}))
    with pytest.raises(PermanentFailure):  # never seen at all
        await sender.send("6283333333333", Reply("x"))
    assert fake.sent == [] and await outbox_rows(wa) == []


async def test_staff_outside_the_window_get_the_template_then_the_held_messages(
    wa: App, clock: FixedClock, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await _cadre(wa, hours_ago=30)
    first = await sender.send(CADRE, ASSIGNMENT)
    second = await sender.send(CADRE, Reply("Pengingat: JMB-7Q4K-2M belum diterima."))
    (template,) = fake.sent  # one template for both
    assert first.platform_message_id == template["_wamid"] and second.platform_message_id is None
    assert template["type"] == "template"
    assert template["template"]["name"] == "patbm_notifikasi"
    assert template["template"]["language"] == {"code": "id"}
    (component,) = template["template"]["components"]
    assert component["parameters"] == [{"type": "text", "text": "JMB-7Q4K-2M"}]
    held = await outbox_rows(wa)
    assert [r.status for r in held] == [HELD, HELD]
    assert Reply.from_json(held[0].payload) == ASSIGNMENT

    # The cadre opens the chat and writes: the held messages are released, in order.
    clock.advance(timedelta(minutes=10))
    async with webhook_client(wa) as client:
        await post_values(client, p.text_message("wamid.C1", CADRE, "ada apa?"))
    released = await outbox_rows(wa)
    assert [r.status for r in released] == ["pending", "pending"]
    result = await sender.send(CADRE, Reply.from_json(released[0].payload))
    assert fake.sent[-1]["type"] == "interactive" and result.platform_message_id


async def test_131047_from_the_api_falls_back_to_the_template_for_staff(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await _cadre(wa, hours_ago=1)  # we think the window is open; WhatsApp disagrees
    fake.fail_next(131047)
    result = await sender.send(CADRE, ASSIGNMENT)
    assert [m["type"] for m in fake.refused] == ["interactive"]
    (template,) = fake.sent
    assert template["type"] == "template" and result.platform_message_id == template["_wamid"]
    async with wa.db.transaction() as session:
        held = (await session.scalars(select(OutboxMessage))).all()
    assert [r.status for r in held] == [HELD]


async def test_131047_for_a_reporter_drops_the_message(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now())
    fake.fail_next(131047)
    with pytest.raises(PermanentFailure):
        await sender.send(RESIDENT, Reply("x"))
    assert fake.sent == []


async def test_the_workers_template_flag_and_a_named_template(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await _cadre(wa, hours_ago=1)  # in the window, but the worker says: template
    extra = {
        "template_fallback": True,
        "template": "patbm_ringkasan",
        "template_params": ["Telanaipura", "3"],
    }
    await sender.send(CADRE, Reply("Ringkasan harian", extra=extra))
    (template,) = fake.sent
    assert template["template"]["name"] == "patbm_ringkasan"
    params = template["template"]["components"][0]["parameters"]
    assert [p["text"] for p in params] == ["Telanaipura", "3"]
    (held,) = await outbox_rows(wa)
    assert Reply.from_json(held.payload).extra == {}  # goes as itself once released


@pytest.mark.parametrize(
    ("code", "http_status", "expected"),
    [
        (130429, None, RetryLater),
        (131056, None, RetryLater),
        (None, 429, RetryLater),
        (None, 500, RetryLater),
        (None, 503, RetryLater),
        (131026, None, PermanentFailure),
        (131051, None, PermanentFailure),
        (100, None, PermanentFailure),
    ],
)
async def test_errors_are_mapped(
    wa: App,
    sender: WhatsAppSender,
    fake: FakeWhatsAppAPI,
    code: int | None,
    http_status: int | None,
    expected: type[Exception],
) -> None:
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now())
    fake.fail_next(code, http_status=http_status)
    with pytest.raises(expected):
        await sender.send(RESIDENT, Reply("x"))


async def test_an_unreachable_api_is_retried_later(app: App) -> None:
    wa = whatsapp_app(app, "http://127.0.0.1:9")  # nothing listens on the discard port
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now())
    async with httpx.AsyncClient() as http:
        with pytest.raises(RetryLater):
            await setup(wa, http).send(RESIDENT, Reply("x"))


async def test_generated_media_is_uploaded_then_sent(
    wa: App, sender: WhatsAppSender, fake: FakeWhatsAppAPI
) -> None:
    await add_identity(wa, RESIDENT, last_inbound_at=wa.clock.now())
    chart = Media(
        kind="photo",
        file_id="grafik.png",
        content_b64=base64.b64encode(b"\x89PNG fake").decode(),
        mime_type="image/png",
    )
    await sender.send(RESIDENT, Reply("Grafik mingguan", media=chart))
    (upload,) = fake.uploads
    assert upload["type"] == "image/png" and upload["size"] == 9
    assert [m["type"] for m in fake.sent] == ["image", "text"]
    assert fake.sent[0]["image"] == {"id": upload["id"]}
    await sender.send(RESIDENT, Reply("", media=chart))
    assert [m["type"] for m in fake.sent] == ["image", "text", "image"]
