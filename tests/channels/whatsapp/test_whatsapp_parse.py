"""WhatsApp webhook JSON → stored items → Inbound, for every message kind we handle."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.channels.whatsapp import parse as wp
from bot.messaging.messages import Contact, Location, Media
from tests.fakes import whatsapp_payloads as p

PHONE = "6281234567890"


def _items(*values: p.Value) -> wp.WebhookBatch:
    return wp.parse_webhook(json.loads(p.envelope(*values)), phone_number_id=p.PHONE_NUMBER_ID)


def _one(value: p.Value) -> wp.Item:
    batch = _items(value)
    assert len(batch.messages) == 1
    return batch.messages[0]


def test_text_with_wa_id() -> None:
    item = _one(p.text_message("wamid.1", PHONE, "Halo, saya mau lapor"))
    inbound = wp.parse_item(item)
    assert inbound is not None
    assert (inbound.channel, inbound.user_id, inbound.chat_id) == ("whatsapp", PHONE, PHONE)
    assert inbound.text == "Halo, saya mau lapor"
    assert inbound.sender_phone == "+6281234567890"
    assert wp.update_key(item) == "wamid.1"
    assert wp.chat_key(item) == f"wa:{PHONE}"


def test_business_scoped_id_alongside_and_instead_of_wa_id() -> None:
    both = wp.parse_item(_one(p.text_message("wamid.2", PHONE, "x", user_id="ID.1410018717")))
    assert both is not None and both.user_id == PHONE and both.sender_phone == "+" + PHONE
    only = wp.parse_item(_one(p.text_message("wamid.3", None, "x", user_id="ID.1410018717")))
    assert only is not None
    assert only.user_id == only.chat_id == "ID.1410018717"
    assert only.sender_phone is None


def test_button_and_list_replies_carry_the_option_id() -> None:
    button = wp.parse_item(_one(p.button_reply("wamid.4", PHONE, "r:ya", context_id="wamid.Q")))
    assert button is not None and button.option == "r:ya" and button.text is None
    assert button.prompt_message_id == "wamid.Q"
    row = wp.parse_item(_one(p.list_reply("wamid.5", PHONE, "r:kel:15.71.01.1001")))
    assert row is not None and row.option == "r:kel:15.71.01.1001"
    paging = wp.parse_item(_one(p.list_reply("wamid.6", PHONE, "wa:pg:2")))
    assert paging is not None and wp.page_request(paging) == 2
    assert wp.page_request(row) is None


def test_location_media_and_contacts() -> None:
    located = wp.parse_item(_one(p.location_message("wamid.7", PHONE, -1.61, 103.61)))
    assert located is not None and located.location == Location(-1.61, 103.61)
    image = wp.parse_item(_one(p.image_message("wamid.8", PHONE, "9001", caption="foto")))
    assert (
        image is not None
        and image.media == Media("photo", "9001", mime_type="image/jpeg")
        and image.text == "foto"
    )
    voice = wp.parse_item(_one(p.voice_message("wamid.9", PHONE, "9002")))
    assert voice is not None and voice.media == Media(
        "voice", "9002", mime_type="audio/ogg; codecs=opus"
    )
    card = wp.parse_item(_one(p.contacts_message("wamid.10", PHONE, "+62 811 000", "62811000")))
    assert card is not None and card.contact == Contact(phone="+62 811 000", user_id="62811000")


def test_reactions_need_no_answer_and_other_numbers_are_skipped() -> None:
    assert wp.parse_item(_one(p.reaction_message("wamid.11", PHONE, "wamid.1"))) is None
    value = p.text_message("wamid.12", PHONE, "x")
    value["metadata"]["phone_number_id"] = "999"
    assert _items(value).messages == []


def test_statuses() -> None:
    batch = _items(
        p.status_update("wamid.A", "delivered", PHONE),
        p.status_update("wamid.B", "failed", PHONE, error_code=131047),
    )
    assert [(s.message_id, s.status, s.error_code) for s in batch.statuses] == [
        ("wamid.A", "delivered", None),
        ("wamid.B", "failed", 131047),
    ]
    assert batch.statuses[0].at == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
