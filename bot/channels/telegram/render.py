"""Neutral Reply → what Telegram shows: text chunks (≤ 4096) and a keyboard.

- options → an inline keyboard; callback_data is the option id (≤ 64 bytes, checked here: a
  longer id is a bug in a handler, never something to truncate); one button per row, or two per
  row when both labels are short; every option on one keyboard (Telegram takes 100 buttons, so
  the report flow's areas need no paging here; more is a handler's bug);
- `request_contact` → a one-time reply keyboard with a "share my number" button (Telegram only
  sends the contact of the user who presses it, with their own user_id);
- `extra["remove_keyboard"]` → removes an earlier reply keyboard (after the contact was shared).
"""

from __future__ import annotations

from dataclasses import dataclass

from telegram import (
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)

from bot.messaging.messages import Option, Reply

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_BYTES = 64
MAX_BUTTONS = 100
# Two buttons side by side only when both labels fit on half a phone screen.
SHORT_LABEL = 14
DEFAULT_CONTACT_LABEL = "📱 Kirim nomor HP saya"

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | ReplyKeyboardRemove


class RenderError(ValueError):
    """A reply that cannot be shown on Telegram as it is (a bug in the handler that built it)."""


@dataclass(frozen=True)
class Rendered:
    chunks: tuple[str, ...]
    markup: Markup | None

    @property
    def inline(self) -> InlineKeyboardMarkup | None:
        return self.markup if isinstance(self.markup, InlineKeyboardMarkup) else None


def split_text(text: str, limit: int = MAX_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, cut at a line break or a space where possible."""
    text = text or " "
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit + 1)
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit + 1)
        if cut < limit // 2:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    pieces.append(text)
    return [piece for piece in pieces if piece] or [" "]


def _button(option: Option) -> InlineKeyboardButton:
    if not option.id or len(option.id.encode()) > MAX_CALLBACK_BYTES:
        raise RenderError(f"option id of {len(option.id.encode())} bytes (1..64 allowed)")
    return InlineKeyboardButton(option.label, callback_data=option.id)


def inline_keyboard(options: tuple[Option, ...]) -> InlineKeyboardMarkup | None:
    if not options:
        return None
    if len(options) > MAX_BUTTONS:
        raise RenderError(f"{len(options)} options ({MAX_BUTTONS} buttons allowed)")
    rows: list[list[InlineKeyboardButton]] = []
    pending: Option | None = None
    for option in options:
        short = len(option.label) <= SHORT_LABEL
        if pending is not None:
            if short:
                rows.append([_button(pending), _button(option)])
                pending = None
                continue
            rows.append([_button(pending)])
            pending = None
        if short:
            pending = option
        else:
            rows.append([_button(option)])
    if pending is not None:
        rows.append([_button(pending)])
    return InlineKeyboardMarkup(rows)


def render(reply: Reply) -> Rendered:
    markup: Markup | None
    if reply.request_contact:
        label = str(reply.extra.get("contact_button") or DEFAULT_CONTACT_LABEL)
        markup = ReplyKeyboardMarkup(
            [[KeyboardButton(label, request_contact=True)]],
            one_time_keyboard=True,
            resize_keyboard=True,
        )
    elif reply.options:
        markup = inline_keyboard(reply.options)
    elif reply.extra.get("remove_keyboard"):
        markup = ReplyKeyboardRemove()
    else:
        markup = None
    text = reply.text if not reply.footer else f"{reply.text}\n\n{reply.footer}"
    return Rendered(chunks=tuple(split_text(text)), markup=markup)
