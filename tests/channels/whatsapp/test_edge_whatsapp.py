"""Broken WhatsApp input never costs a good message (issue 16): each part of a signed POST on
its own, the broken ones set aside in `rejected_inbound`, 200 once the good ones are committed;
unusable types answered kindly; impossible statuses ignored. In process, real HTTP app."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.core.app import App
from bot.messaging.inbox import InboxProcessor
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from bot.runtime.dispatch import dispatch
from bot.runtime.scheduler import cleanup
from bot.runtime.wiring import inbox_channels
from models import ChatIdentity, RejectedInbound
from tests.fakes import whatsapp_payloads as p
from tests.support.chat import Chat
from tests.support.report_support import seed_areas
from tests.support.whatsapp_support import (
    APP_SECRET,
    inbox_rows,
    outbox_rows,
    post_values,
    webhook_client,
    whatsapp_app,
)

PHONE = "6281234567890"
OTHER = "6281234567891"
CANNOT_USE = "Maaf, stiker atau berkas seperti ini tidak bisa kami gunakan."
WELCOME = "Halo, ini PATBM Lapor"


@pytest.fixture
def wa(app: App) -> App:
    return whatsapp_app(app)


async def _post_json(wa: App, payload: Any) -> int:
    body = json.dumps(payload).encode()
    async with webhook_client(wa) as client:
        response = await client.post(
            "/webhooks/whatsapp", content=body, headers=p.signed(body, APP_SECRET)
        )
    return response.status_code


async def _rejected(wa: App) -> list[RejectedInbound]:
    async with wa.db.transaction() as session:
        return list((await session.scalars(select(RejectedInbound))).all())


def _with_message(value: p.Value, **changes: Any) -> p.Value:
    value["messages"][0].update(changes)
    return value


@pytest.mark.parametrize(
    "payload",
    [
        pytest.param({"object": "whatsapp_business_account", "entry": "junk"}, id="entry-string"),
        pytest.param({"entry": [{"id": "1", "changes": {"field": "messages"}}]}, id="changes-dict"),
        pytest.param(
            {"entry": [{"changes": [{"field": "messages", "value": {"metadata": "x"}}]}]},
            id="metadata-string",
        ),
        pytest.param({"entry": ["junk", 5, None]}, id="entries-not-objects"),
    ],
)
async def test_broken_structure_is_set_aside_with_200(wa: App, payload: Any) -> None:
    assert await _post_json(wa, payload) == 200
    assert await inbox_rows(wa) == []
    rejected = await _rejected(wa)
    assert rejected and all(r.channel == "whatsapp" and r.reason and r.excerpt for r in rejected)


async def test_a_post_of_many_junk_parts_keeps_a_bounded_number_of_rows(wa: App) -> None:
    assert await _post_json(wa, {"entry": ["junk"] * 5000}) == 200
    rejected = await _rejected(wa)
    assert len(rejected) == 21 and rejected[-1].reason == "4980 more parts of this post set aside"


async def test_deep_json_is_400_and_a_huge_body_413(wa: App) -> None:
    deep = b"[" * 100_000 + b"]" * 100_000
    huge = p.envelope(p.text_message("wamid.BIG", PHONE, "x" * (5 * 1024 * 1024)))
    async with webhook_client(wa) as client:
        refused = await client.post(
            "/webhooks/whatsapp", content=deep, headers=p.signed(deep, APP_SECRET)
        )
        too_big = await client.post(
            "/webhooks/whatsapp", content=huge, headers=p.signed(huge, APP_SECRET)
        )
    assert (refused.status_code, too_big.status_code) == (400, 413)
    assert await inbox_rows(wa) == [] and await _rejected(wa) == []


@pytest.mark.parametrize(
    "broken",
    [
        pytest.param({"type": "text", "text": "not an object"}, id="text-not-object"),
        pytest.param({"type": "contacts", "contacts": ["junk", {"phones": "x"}]}, id="contacts"),
        pytest.param({"type": "interactive", "interactive": {"list_reply": 5}}, id="interactive"),
        pytest.param({"type": "location", "location": {"latitude": "abc"}}, id="location"),
    ],
)
async def test_a_broken_body_is_set_aside_and_its_sender_told_kindly(
    wa: App, broken: dict[str, Any]
) -> None:
    value = _with_message(p.text_message("wamid.BROKEN", PHONE, "x"), **broken)
    if broken["type"] != "text":
        del value["messages"][0]["text"]
    async with webhook_client(wa) as client:
        assert (await post_values(client, value)).status_code == 200
    (row,) = await inbox_rows(wa)
    assert row.payload["message"]["type"] == "unsupported"
    assert len(await _rejected(wa)) == 1
    await seed_areas(wa)
    assert await InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels()).process_all() == 1
    texts = [o.payload["text"] for o in await outbox_rows(wa)]
    assert texts == [CANNOT_USE]


async def test_a_300_character_wamid_is_set_aside_not_a_database_error(wa: App) -> None:
    async with webhook_client(wa) as client:
        response = await post_values(client, p.text_message("wamid." + "W" * 294, PHONE, "halo"))
    assert response.status_code == 200
    assert await inbox_rows(wa) == []
    assert [r.reason for r in await _rejected(wa)] == ["id: string_too_long"]


async def test_one_valid_and_one_junk_message_in_one_post(wa: App) -> None:
    good = p.text_message("wamid.GOOD", PHONE, "halo")
    junk = p.contacts_message("wamid.JUNK", OTHER, "1", None)
    junk["messages"][0]["id"] = {"not": "a wamid"}
    good["messages"].extend(junk["messages"])
    good["contacts"].extend(junk["contacts"])
    for _ in range(2):  # Meta retries: still stored and answered once.
        async with webhook_client(wa) as client:
            assert (await post_values(client, good)).status_code == 200
    assert [r.update_key for r in await inbox_rows(wa)] == ["wamid.GOOD"]
    await seed_areas(wa)
    processor = InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels())
    assert await processor.process_all() == 1
    assert await processor.process_all() == 0
    replies = await outbox_rows(wa)
    assert {o.chat_id for o in replies} == {PHONE}
    assert replies[0].payload["text"].startswith(WELCOME)


async def test_a_valid_text_and_a_junk_contacts_card_in_one_post(wa: App) -> None:
    """The case of the issue: both senders are answered, each once, by what they sent."""
    good = p.text_message("wamid.GOOD", PHONE, "halo")
    junk = p.contacts_message("wamid.CARD", OTHER, "1", None)
    junk["messages"][0]["contacts"] = [{"phones": [{"phone": {"x": 1}}]}, "junk"]
    good["messages"].extend(junk["messages"])
    good["contacts"].extend(junk["contacts"])
    async with webhook_client(wa) as client:
        assert (await post_values(client, good)).status_code == 200
    assert [r.update_key for r in await inbox_rows(wa)] == ["wamid.GOOD", "wamid.CARD"]
    (rejected,) = await _rejected(wa)
    assert rejected.reason.startswith("contacts: cards.0.phones.0.phone")
    await seed_areas(wa)
    assert await InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels()).process_all() == 2
    # The two chats are handled side by side: their replies may be queued in either order.
    replies = await outbox_rows(wa)
    to_phone = [o.payload["text"] for o in replies if o.chat_id == PHONE]
    assert len(to_phone) == 1 and to_phone[0].startswith(WELCOME)
    assert [o.payload["text"] for o in replies if o.chat_id == OTHER] == [CANNOT_USE]


@pytest.mark.parametrize(
    "message",
    [
        pytest.param({"type": "sticker", "sticker": {"id": "STK1", "mime_type": "image/webp"}}),
        pytest.param({"type": "order", "order": {"catalog_id": "1", "product_items": []}}),
        pytest.param({"type": "unsupported", "errors": [{"code": 131051}]}),
        pytest.param({"type": "never-heard-of-it"}),
    ],
)
async def test_unusable_types_get_the_kind_reply_not_the_welcome(
    wa: App, message: dict[str, Any]
) -> None:
    value = p.text_message("wamid.U1", PHONE, "x")
    del value["messages"][0]["text"]
    value["messages"][0].update(message)
    async with webhook_client(wa) as client:
        assert (await post_values(client, value)).status_code == 200
    await seed_areas(wa)
    assert await InboxProcessor(wa, dispatch=dispatch, channels=inbox_channels()).process_all() == 1
    assert [o.payload["text"] for o in await outbox_rows(wa)] == [CANNOT_USE]


async def test_impossible_statuses_are_ignored(wa: App) -> None:
    now = wa.clock.now()
    async with wa.db.transaction() as session:
        row = enqueue(session, channel="whatsapp", chat_id=PHONE, reply=Reply("x"), now=now)
        row.status, row.platform_message_id, row.sent_at = "sent", "wamid.OUT", now
    read = p.status_update("wamid.OUT", "read", PHONE)
    read["statuses"][0]["timestamp"] = "99999999999999999999"
    failed = p.status_update("wamid.OUT", "failed", PHONE, error_code=1)
    failed["statuses"][0]["errors"][0]["code"] = "abc"
    async with webhook_client(wa) as client:
        assert (await post_values(client, read, failed)).status_code == 200
    (stored,) = await outbox_rows(wa)
    assert (stored.status, stored.delivered_at) == ("sent", None)
    assert len(await _rejected(wa)) == 2


async def test_junk_sender_contacts_do_not_cost_the_message(wa: App) -> None:
    value = p.text_message("wamid.C", PHONE, "halo")
    value["contacts"] = ["junk", {"wa_id": 5}, *value["contacts"]]
    async with webhook_client(wa) as client:
        assert (await post_values(client, value)).status_code == 200
    (row,) = await inbox_rows(wa)
    assert row.chat_key == f"wa:{PHONE}"
    async with wa.db.transaction() as session:
        assert (await session.scalars(select(ChatIdentity))).all() == []


async def test_set_aside_parts_go_with_the_nightly_cleanup(wa: App) -> None:
    assert await _post_json(wa, {"entry": "junk"}) == 200
    later = wa.clock.now() + timedelta(days=wa.settings.inbox_retention_days + 1)
    assert (await cleanup(wa, wa.clock.now())).rejected_deleted == 0
    assert (await cleanup(wa, later)).rejected_deleted == 1
    assert await _rejected(wa) == []


async def test_in_a_report_an_unusable_message_keeps_the_question_and_english_reads_english(
    app: App,
) -> None:
    await seed_areas(app)
    chat = Chat(app, language_hint="en")
    await chat.text("/lapor")
    question = chat.replies[-1].text.splitlines()[-1]
    (reply,) = await chat.send(unusable=True)
    assert reply.text.startswith("Sorry, we cannot use stickers or files like this.")
    assert reply.text.endswith(question) and reply.options
    sticker = await Chat(app, user_id="1002").media("sticker")
    assert [r.text for r in sticker] == [CANNOT_USE]
