"""Telegram Update JSON → neutral Inbound (and the inbox keys of an update).

Works on the raw JSON as stored in the inbox, so a stored update can be parsed again after a
restart or an upgrade. Updates we do not handle (edited messages, channel posts, member changes)
parse to None: the inbox marks them done without a reply.
"""

from __future__ import annotations

from typing import Any

from bot.messaging.messages import Contact, Inbound, Location, Media, MediaKind

CHANNEL = "telegram"

# Telegram message fields that carry a file, and the neutral kind we file them under.
_MEDIA_FIELDS: tuple[tuple[str, MediaKind], ...] = (
    ("photo", "photo"),
    ("voice", "voice"),
    ("audio", "audio"),
    ("video", "video"),
    ("video_note", "video"),
    ("document", "document"),
    ("sticker", "sticker"),
    ("animation", "video"),
)


def update_key(update: dict[str, Any]) -> str:
    return str(update["update_id"])


def chat_key(update: dict[str, Any]) -> str:
    """The user an update belongs to (updates of one user are handled in order)."""
    for field in ("message", "callback_query", "edited_message"):
        part = update.get(field)
        if isinstance(part, dict) and isinstance(part.get("from"), dict):
            return f"tg:{part['from']['id']}"
    for value in update.values():
        if isinstance(value, dict):
            sender = value.get("from") or value.get("chat")
            if isinstance(sender, dict) and _is_id(sender.get("id")):
                return f"tg:{sender['id']}"
    return f"tg:update:{update.get('update_id')}"


def _is_id(value: Any) -> bool:
    # Update kinds the schema does not type (member changes, polls) may carry anything here.
    return isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**52


def _media(message: dict[str, Any]) -> Media | None:
    for field, kind in _MEDIA_FIELDS:
        value = message.get(field)
        if not value:
            continue
        if isinstance(value, list):
            # Photos come in several sizes, smallest first: keep the largest.
            value = value[-1]
        if isinstance(value, dict) and value.get("file_id"):
            size = value.get("file_size")
            mime = value.get("mime_type")
            return Media(
                kind=kind,
                file_id=str(value["file_id"]),
                mime_type=str(mime) if isinstance(mime, str) else None,
                file_size=int(size) if isinstance(size, int) else None,
            )
    return None


def _from_message(message: dict[str, Any]) -> Inbound | None:
    sender = message.get("from")
    chat = message.get("chat")
    if not isinstance(sender, dict) or not isinstance(chat, dict) or sender.get("is_bot"):
        return None
    if chat.get("type", "private") != "private":
        # The bot talks to people one to one; group chatter is not a report.
        return None
    contact = message.get("contact")
    location = message.get("location")
    return Inbound(
        channel=CHANNEL,
        user_id=str(sender["id"]),
        chat_id=str(chat["id"]),
        text=message.get("text") or message.get("caption"),
        location=(
            Location(latitude=float(location["latitude"]), longitude=float(location["longitude"]))
            if isinstance(location, dict)
            else None
        ),
        contact=(
            Contact(
                phone=str(contact.get("phone_number", "")),
                user_id=str(contact["user_id"]) if contact.get("user_id") else None,
            )
            if isinstance(contact, dict)
            else None
        ),
        media=_media(message),
        language_hint=sender.get("language_code"),
    )


def _from_callback(query: dict[str, Any]) -> Inbound | None:
    sender = query.get("from")
    message = query.get("message")
    if not isinstance(sender, dict) or not isinstance(message, dict):
        # An inline-mode button with no message of ours behind it.
        return None
    chat = message.get("chat") or {}
    return Inbound(
        channel=CHANNEL,
        user_id=str(sender["id"]),
        chat_id=str(chat.get("id", sender["id"])),
        option=str(query.get("data") or ""),
        prompt_message_id=str(message["message_id"]) if "message_id" in message else None,
        language_hint=sender.get("language_code"),
    )


def parse_update(update: dict[str, Any]) -> Inbound | None:
    if isinstance(update.get("message"), dict):
        return _from_message(update["message"])
    if isinstance(update.get("callback_query"), dict):
        return _from_callback(update["callback_query"])
    return None


def callback_query_id(update: dict[str, Any]) -> str | None:
    query = update.get("callback_query")
    if isinstance(query, dict) and query.get("id"):
        return str(query["id"])
    return None
