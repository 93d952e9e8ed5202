"""Telegram parsing, rendering and sending (against the fake Bot API over real HTTP)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest
from telegram import Bot

from bot.channels.telegram.parse import chat_key, parse_update
from bot.channels.telegram.render import RenderError, render, split_text
from bot.channels.telegram.sender import TelegramSender, build_bot
from bot.core.app import App
from bot.core.settings import Settings
from bot.messaging.messages import Contact, Media, MediaKind, Option, Reply
from bot.messaging.sending import PermanentFailure, RetryLater
from tests.fakes.telegram_api import FakeTelegram


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def bot(fake: FakeTelegram, settings: Settings) -> AsyncIterator[Bot]:
    configured = settings.model_copy(
        update={"telegram_token": fake.token_secret, "telegram_api_url": fake.api_url}
    )
    telegram_bot = build_bot(configured, read_timeout=2.0)
    await telegram_bot.initialize()
    try:
        yield telegram_bot
    finally:
        await telegram_bot.shutdown()


def test_parse_text_start_payload_contact_location_media_and_button() -> None:
    fake = FakeTelegram()
    text = {"update_id": 1, "message": fake.message_body(7, text="/start ABC123")}
    inbound = parse_update(text)
    assert inbound is not None
    assert (inbound.user_id, inbound.chat_id, inbound.command) == ("7", "7", "/start")
    assert inbound.command_args == ["ABC123"]
    assert chat_key(text) == "tg:7"

    contact = {
        "update_id": 2,
        "message": fake.message_body(
            7, contact={"phone_number": "+628123", "first_name": "A", "user_id": 7}
        ),
    }
    assert parse_update(contact).contact == Contact(phone="+628123", user_id="7")  # type: ignore[union-attr]
    foreign = {
        "update_id": 3,
        "message": fake.message_body(7, contact={"phone_number": "+628", "first_name": "B"}),
    }
    assert parse_update(foreign).contact == Contact(phone="+628", user_id=None)  # type: ignore[union-attr]

    location = {
        "update_id": 4,
        "message": fake.message_body(7, location={"latitude": -1.6, "longitude": 103.6}),
    }
    assert parse_update(location).location.latitude == -1.6  # type: ignore[union-attr]

    photo = {
        "update_id": 5,
        "message": fake.message_body(
            7,
            photo=[{"file_id": "small"}, {"file_id": "big"}],
            caption="bukti",
        ),
    }
    parsed = parse_update(photo)
    assert parsed is not None and parsed.media == Media("photo", "big") and parsed.text == "bukti"
    kinds: tuple[MediaKind, ...] = ("voice", "audio", "document")
    for kind in kinds:
        update = {"update_id": 6, "message": fake.message_body(7, **{kind: {"file_id": "F"}})}
        assert parse_update(update).media == Media(kind, "F")  # type: ignore[union-attr]
    sticker = {"update_id": 7, "message": fake.message_body(7, sticker={"file_id": "S"})}
    assert parse_update(sticker).media == Media("sticker", "S")  # type: ignore[union-attr]

    button = {"update_id": 8, "callback_query": fake.callback_body(7, "k:ya", message_id=42)}
    pressed = parse_update(button)
    assert pressed is not None
    assert (pressed.option, pressed.prompt_message_id) == ("k:ya", "42")
    assert chat_key(button) == "tg:7"

    group = {
        "update_id": 9,
        "message": {**fake.message_body(7, text="hi"), "chat": {"id": -5, "type": "group"}},
    }
    assert parse_update(group) is None
    assert parse_update({"update_id": 10, "edited_message": fake.message_body(7, text="x")}) is None


def test_render_keyboards_and_limits() -> None:
    options = (Option("a:1", "Ya"), Option("a:2", "Tidak"), Option("a:3", "Sebuah pilihan panjang"))
    rendered = render(Reply(text="Tanya?", options=options))
    keyboard = rendered.inline
    assert keyboard is not None
    rows = [[b.callback_data for b in row] for row in keyboard.inline_keyboard]
    assert rows == [["a:1", "a:2"], ["a:3"]]
    with pytest.raises(RenderError):
        render(Reply(text="x", options=(Option("x" * 65, "Terlalu panjang"),)))
    assert render(Reply(text="x", options=(Option("é" * 32, "ok"),))).inline is not None
    contact = render(Reply(text="Bagikan", request_contact=True, extra={"contact_button": "Kirim"}))
    assert contact.markup is not None and contact.inline is None
    assert contact.markup.to_dict()["keyboard"][0][0] == {"text": "Kirim", "request_contact": True}
    long = "kata " * 2000
    pieces = split_text(long)
    assert all(len(p) <= 4096 for p in pieces) and len(pieces) == 3
    assert " ".join(pieces).split() == long.split()


async def test_sender_sends_splits_and_keeps_keyboard_on_the_last_piece(
    fake: FakeTelegram, bot: Bot
) -> None:
    sender = TelegramSender(bot)
    result = await sender.send("501", Reply(text="x" * 5000, options=(Option("o:1", "Ya"),)))
    messages = fake.messages(501)
    assert [len(m["text"]) for m in messages] == [4096, 904]
    assert "reply_markup" not in messages[0]
    assert messages[1]["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "o:1"
    assert result.platform_message_id == str(messages[1]["message_id"])


async def test_sender_edits_in_place_and_falls_back_when_refused(
    fake: FakeTelegram, bot: Bot
) -> None:
    sender = TelegramSender(bot)
    first = await sender.send("502", Reply(text="Pilih", options=(Option("p:1", "Satu"),)))
    assert first.platform_message_id is not None
    edited = await sender.send(
        "502", Reply(text="Dipilih: Satu", edit_message_id=first.platform_message_id)
    )
    assert edited.platform_message_id == first.platform_message_id
    assert fake.texts(502) == ["Dipilih: Satu"]
    assert "reply_markup" not in fake.messages(502)[0]
    # Same content again: Telegram says "not modified"; the reply goes out as a new message.
    again = await sender.send(
        "502", Reply(text="Dipilih: Satu", edit_message_id=first.platform_message_id)
    )
    assert again.platform_message_id != first.platform_message_id
    gone = await sender.send("502", Reply(text="Baru", edit_message_id="9999"))
    assert fake.texts(502) == ["Dipilih: Satu", "Dipilih: Satu", "Baru"]
    assert gone.platform_message_id is not None


async def test_sender_media_by_file_id(fake: FakeTelegram, bot: Bot) -> None:
    sender = TelegramSender(bot)
    await sender.send("503", Reply(text="Bukti foto", media=Media("photo", "PHOTO1")))
    await sender.send("503", Reply(text="Rekaman", media=Media("voice", "VOICE1")))
    assert fake.calls_to("sendPhoto")[0].params["photo"] == "PHOTO1"
    assert fake.calls_to("sendVoice")[0].params["voice"] == "VOICE1"
    assert fake.texts(503) == ["Bukti foto", "Rekaman"]


async def test_sender_uploads_content_we_made(fake: FakeTelegram, bot: Bot) -> None:
    """The weekly chart travels in the outbox row as bytes and is uploaded, not sent by file id."""
    import base64

    png = b"\x89PNG\r\n\x1a\nchart"
    chart = Media("photo", "grafik.png", content_b64=base64.b64encode(png).decode())
    await sender_send(bot, "504", Reply(text="Grafik mingguan", media=chart))
    call = fake.calls_to("sendPhoto")[0]
    assert call.params["photo"] == png
    assert call.params["caption"] == "Grafik mingguan"


async def sender_send(bot: Bot, chat_id: str, reply: Reply) -> None:
    await TelegramSender(bot).send(chat_id, reply)


async def test_sender_maps_errors(fake: FakeTelegram, bot: Bot) -> None:
    sender = TelegramSender(bot)
    fake.fail_next("sendMessage", 1, status=429, retry_after=7)
    with pytest.raises(RetryLater) as limited:
        await sender.send("504", Reply(text="a"))
    assert limited.value.after_seconds == 7
    fake.fail_next("sendMessage", 1, status=502)
    with pytest.raises(RetryLater):
        await sender.send("504", Reply(text="a"))
    fake.fail_next("sendMessage", 1, status=500)
    with pytest.raises(RetryLater):
        await sender.send("504", Reply(text="a"))
    fake.block_chat(505)
    with pytest.raises(PermanentFailure) as blocked:
        await sender.send("505", Reply(text="a"))
    assert blocked.value.reason == "forbidden"
    fake.forget_chat(506)
    with pytest.raises(PermanentFailure) as missing:
        await sender.send("506", Reply(text="a"))
    assert missing.value.reason == "chat_not_found"
    with pytest.raises(PermanentFailure):
        await sender.send("504", Reply(text="a", options=(Option("y" * 70, "x"),)))
    assert fake.texts(504) == []


async def test_sender_time_out_is_retry_later(fake: FakeTelegram, bot: Bot) -> None:
    fake.hang("sendMessage")
    with pytest.raises(RetryLater):
        await TelegramSender(bot).send("507", Reply(text="a"))
    fake.release("sendMessage")


async def test_answer_callback_is_best_effort(fake: FakeTelegram, bot: Bot, app: App) -> None:
    sender = TelegramSender(bot)
    update = {"update_id": 1, "callback_query": fake.callback_body(8, "x:1", message_id=3)}
    await sender.answer_callback(update)
    assert len(fake.calls_to("answerCallbackQuery")) == 1
    fake.fail_next(
        "answerCallbackQuery", 1, status=400, description="Bad Request: query is too old"
    )
    await sender.answer_callback(update)  # no exception
    await sender.answer_callback({"update_id": 2, "message": {}})
    assert len(fake.calls_to("answerCallbackQuery")) == 2
