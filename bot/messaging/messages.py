"""Channel-neutral messages: every platform's update becomes an Inbound; every answer is a Reply."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from typing import Any, Literal

MediaKind = Literal["photo", "voice", "audio", "video", "document", "sticker", "other"]


@dataclass(frozen=True)
class Media:
    """A platform file id, or (content_b64 set) bytes we made ourselves, e.g. the weekly chart.

    Generated content travels inside the outbox row (base64, encrypted with the payload) so any
    instance can deliver it; a Sender uploads `content()` when it is not None (Telegram:
    `send_photo(photo=media.content() or media.file_id)`), and `file_id` is then a file name.
    """

    kind: MediaKind
    file_id: str
    content_b64: str | None = None
    mime_type: str | None = None
    # What the platform says of the file, where it says it (Telegram does; WhatsApp does not):
    # lets an oversized file be refused while the resident is still writing.
    file_size: int | None = None

    def content(self) -> bytes | None:
        import base64

        return base64.b64decode(self.content_b64) if self.content_b64 is not None else None


@dataclass(frozen=True)
class Location:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class Contact:
    """A shared contact card; user_id is the platform id of the person on the card, if known."""

    phone: str
    user_id: str | None = None


@dataclass(frozen=True)
class Inbound:
    """One incoming message or button press, whatever the platform."""

    channel: str  # telegram, whatsapp, terminal
    user_id: str  # the sender's platform id
    chat_id: str  # where replies go
    text: str | None = None
    option: str | None = None  # the id of a pressed button or chosen list row
    location: Location | None = None
    contact: Contact | None = None
    media: Media | None = None
    # The sender's own phone number where the platform carries it (WhatsApp wa_id).
    sender_phone: str | None = None
    # The platform id of the message whose button was pressed (to edit it in place).
    prompt_message_id: str | None = None
    language_hint: str | None = None
    # A message of a kind the bot cannot use (a WhatsApp order, an unsupported type): answered
    # with a kind "we cannot use this", never taken as the start of a report.
    unusable: bool = False

    @property
    def command(self) -> str | None:
        """`/status` for '/status REF PIN' (lower-cased, without a @botname suffix)."""
        if not self.text or not self.text.startswith("/"):
            return None
        head = self.text.split(maxsplit=1)[0]
        return head.split("@", 1)[0].lower()

    @property
    def command_args(self) -> list[str]:
        if not self.text:
            return []
        return self.text.split()[1:]


@dataclass(frozen=True)
class Option:
    id: str  # short and opaque: Telegram callback_data is at most 64 bytes
    label: str
    description: str | None = None


# Reply.extra key marking "the same question again" (a re-ask after an answer we did not
# understand): a newer re-ask to a chat replaces one still queued (bot/messaging/outbox.py).
REASK = "reask"


@dataclass(frozen=True)
class Reply:
    """Text plus options; each channel renders it its own way."""

    text: str
    options: tuple[Option, ...] = ()
    # Ask the user to share their own phone number (Telegram contact button).
    request_contact: bool = False
    # Edit this earlier message of ours in place instead of sending a new one.
    edit_message_id: str | None = None
    media: Media | None = None
    # Rendered by the channel where it has a place for it (WhatsApp footer).
    footer: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        # By hand, not dataclasses.asdict: asdict walks fields() of every nested object and
        # deep-copies, and every outbox row goes through here (a tenth of a sweep's CPU).
        media = self.media
        return {
            "text": self.text,
            "options": [
                {"id": o.id, "label": o.label, "description": o.description} for o in self.options
            ],
            "request_contact": self.request_contact,
            "edit_message_id": self.edit_message_id,
            "media": None if media is None else dict(media.__dict__),
            "footer": self.footer,
            "extra": copy.deepcopy(self.extra) if self.extra else {},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        options = tuple(Option(**o) for o in data.get("options", ()))
        media = Media(**data["media"]) if data.get("media") else None
        return cls(
            text=data["text"],
            options=options,
            request_contact=bool(data.get("request_contact", False)),
            edit_message_id=data.get("edit_message_id"),
            media=media,
            footer=data.get("footer"),
            extra=dict(data.get("extra") or {}),
        )


def _plain(reply: Reply) -> bool:
    return not (
        reply.options
        or reply.request_contact
        or reply.edit_message_id
        or reply.media
        or reply.footer
        or reply.extra
    )


def merge_replies(replies: list[Reply]) -> list[Reply]:
    """A turn's replies with each plain text joined to the message after it.

    "Maaf, …" and the question asked again, the welcome and the first question, "Titik lokasi
    diterima" and the next question: one message each, so a reply arrives whole and its buttons
    sit under all of it. Only a plain text (no buttons, media, contact request, edit or extra)
    is joined, and never onto a photo (a caption is short) or an edit of an earlier message.
    """
    merged: list[Reply] = []
    for reply in replies:
        last = merged[-1] if merged else None
        if (
            last is not None
            and _plain(last)
            and reply.media is None
            and reply.edit_message_id is None
        ):
            merged[-1] = replace(reply, text=f"{last.text}\n\n{reply.text}")
        else:
            merged.append(reply)
    return merged
