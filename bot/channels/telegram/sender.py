"""The Telegram channel: the Sender (python-telegram-bot's `Bot`), inbox registration, set-up.

- `build_bot(settings)`: a `telegram.Bot` pointed at `PATBM_TELEGRAM_API_URL` (a local Bot API
  server, or the fake in tests).
- `TelegramSender(bot)`: implements `bot.messaging.sending.Sender`. Renders a neutral Reply
  (telegram_render), edits the prompt message in place when `edit_message_id` is set (falls back
  to a new message when Telegram refuses the edit), splits long texts, sends evidence media by
  file id. Telegram errors become RetryLater / PermanentFailure for the outbox worker.
- `inbox_channel()`: the Telegram parser and the after-handled step (answer the callback query,
  best effort) in the inbox's registry.
- Receiving: `telegram_poll.TelegramPoller` (long polling) or `bot.runtime.http` (webhook).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

from telegram import Bot, InputFile, Message
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.request import HTTPXRequest

from bot.channels.telegram import parse as telegram_parse
from bot.channels.telegram.render import MAX_CAPTION, RenderError, render
from bot.core.settings import Settings
from bot.messaging.inbox import InboxChannel
from bot.messaging.messages import Media, Reply
from bot.messaging.sending import PermanentFailure, RetryLater, SendResult

log = logging.getLogger(__name__)

# python-telegram-bot's documented opt-in to timedelta periods (read when used); without it,
# merely building a RetryAfter (every 429) emits a deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")

CHANNEL = telegram_parse.CHANNEL
T = TypeVar("T")

# Telegram's wording when an edit cannot happen; the reply is then sent as a new message.
_EDIT_REFUSALS = (
    "message is not modified",
    "message can't be edited",
    "message to edit not found",
    "there is no text in the message to edit",
)


def build_bot(settings: Settings, *, read_timeout: float = 10.0) -> Bot:
    if settings.telegram_token is None:
        raise ValueError("PATBM_TELEGRAM_TOKEN is not set")
    request = HTTPXRequest(
        connection_pool_size=max(8, settings.telegram_concurrency * 2),
        read_timeout=read_timeout,
        write_timeout=read_timeout,
        connect_timeout=5.0,
        pool_timeout=5.0,
    )
    return Bot(
        settings.telegram_token.get_secret_value(),
        base_url=settings.telegram_api_url,
        base_file_url=settings.telegram_api_url.replace("/bot", "/file/bot"),
        request=request,
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    # The public `retry_after` property warns about its future type; the timedelta is the value.
    return float(exc._retry_after.total_seconds())


def map_error(exc: TelegramError) -> RetryLater | PermanentFailure:
    """What the outbox should do after this Telegram error."""
    if isinstance(exc, RetryAfter):
        return RetryLater(after_seconds=retry_after_seconds(exc), reason="rate_limited")
    if isinstance(exc, Forbidden):
        # The user blocked the bot or deleted their account: it will never go through.
        return PermanentFailure(reason="forbidden")
    if isinstance(exc, BadRequest):
        text = exc.message.lower()
        if "chat not found" in text or "user not found" in text:
            return PermanentFailure(reason="chat_not_found")
        return PermanentFailure(reason="bad_request")
    if isinstance(exc, ChatMigrated):
        return PermanentFailure(reason="chat_migrated")
    if isinstance(exc, InvalidToken):
        # Our configuration, not the message: keep it and retry slowly.
        return RetryLater(after_seconds=60.0, reason="invalid_token")
    if isinstance(exc, TimedOut):
        return RetryLater(reason="timed_out")
    if isinstance(exc, NetworkError):
        return RetryLater(reason="network")
    return RetryLater(reason="telegram_error")


async def _call(operation: Callable[[], Awaitable[T]]) -> T:
    try:
        return await operation()
    except TelegramError as exc:
        raise map_error(exc) from exc


class TelegramSender:
    channel = CHANNEL

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        try:
            rendered = render(reply)
        except RenderError as exc:
            log.error("telegram reply for chat %s cannot be rendered: %s", chat_id, exc)
            raise PermanentFailure(reason="render") from exc
        chunks = list(rendered.chunks)
        if reply.media is not None:
            return await self._send_media(chat_id, reply, chunks, rendered.markup)
        if reply.edit_message_id and len(chunks) == 1 and not reply.request_contact:
            edited = await self._try_edit(chat_id, reply.edit_message_id, chunks[0], rendered)
            if edited is not None:
                return edited
        last: Message | None = None
        for index, chunk in enumerate(chunks):
            markup = rendered.markup if index == len(chunks) - 1 else None
            last = await _call(
                lambda chunk=chunk, markup=markup: self.bot.send_message(  # type: ignore[misc]
                    chat_id=int(chat_id), text=chunk, reply_markup=markup
                )
            )
        return SendResult(platform_message_id=str(last.message_id) if last else None)

    async def _try_edit(
        self, chat_id: str, message_id: str, text: str, rendered: Any
    ) -> SendResult | None:
        try:
            result = await self.bot.edit_message_text(
                chat_id=int(chat_id),
                message_id=int(message_id),
                text=text,
                reply_markup=rendered.inline,
            )
        except BadRequest as exc:
            if any(refusal in exc.message.lower() for refusal in _EDIT_REFUSALS):
                log.info("telegram edit of message %s refused; sending anew", message_id)
                return None
            raise map_error(exc) from exc
        except TelegramError as exc:
            raise map_error(exc) from exc
        edited_id = str(result.message_id) if isinstance(result, Message) else message_id
        return SendResult(platform_message_id=edited_id)

    async def _send_media(
        self, chat_id: str, reply: Reply, chunks: list[str], markup: Any
    ) -> SendResult:
        media: Media = reply.media  # type: ignore[assignment]
        text = "\n".join(chunks)
        caption = text if len(text) <= MAX_CAPTION else None
        kwargs: dict[str, Any] = {
            "chat_id": int(chat_id),
            "caption": caption,
            "reply_markup": markup if caption is not None else None,
        }
        message = await _call(lambda: self._media_call(media, kwargs))
        if caption is None:
            # Too long for a caption: the text follows as its own messages.
            return await self.send(chat_id, replace(reply, media=None, edit_message_id=None))
        return SendResult(platform_message_id=str(message.message_id))

    async def _media_call(self, media: Media, kwargs: dict[str, Any]) -> Message:
        # Content we made ourselves (the weekly chart) is uploaded; a platform file id is reused.
        content = media.content()
        source: Any = (
            InputFile(content, filename=media.file_id) if content is not None else media.file_id
        )
        if media.kind == "photo":
            return await self.bot.send_photo(photo=source, **kwargs)
        if media.kind == "voice":
            return await self.bot.send_voice(voice=source, **kwargs)
        if media.kind == "audio":
            return await self.bot.send_audio(audio=source, **kwargs)
        if media.kind == "video":
            return await self.bot.send_video(video=source, **kwargs)
        return await self.bot.send_document(document=source, **kwargs)

    async def answer_callback(self, update: dict[str, Any]) -> None:
        """Stop the button's spinner; best effort (a query older than ~15 min cannot be answered)."""
        query_id = telegram_parse.callback_query_id(update)
        if query_id is None:
            return
        try:
            await self.bot.answer_callback_query(query_id)
        except TelegramError as exc:
            log.info("telegram callback answer failed: %s", type(exc).__name__)


def inbox_channel(sender: TelegramSender | None = None) -> InboxChannel:
    """How the inbox handles stored Telegram updates (and, with a sender, answers presses)."""
    return InboxChannel(
        name=CHANNEL,
        parse=telegram_parse.parse_update,
        after_handled=sender.answer_callback if sender is not None else None,
    )
