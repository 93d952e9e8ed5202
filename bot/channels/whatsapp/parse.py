"""WhatsApp Cloud API webhook JSON → stored items → neutral Inbound.

A webhook POST carries a batch: `entry[].changes[].value` with `messages` (what users send),
`contacts` (who sent them) and `statuses` (what became of the messages we sent). Each message is
stored in the inbox as its own small item (`message_item`): the message, its sender's contact
and the business phone number id, so a stored item can be parsed again after a restart. Each
message and status is checked on its own (whatsapp_schema); what fails is set aside in
`WebhookBatch.rejected`, never costing the good parts of the same POST.

Who the sender is. Since 2026 a WhatsApp user has a business-scoped user id (`user_id` on the
contact, `from_user_id` on the message, e.g. `ID.1410018717833190`), and the phone number
(`wa_id`, `from`) is missing when the user has chosen a username. We use the `wa_id` when the
webhook carries it, else the business-scoped id, as BOTH `Inbound.user_id` and `Inbound.chat_id`
(on WhatsApp a chat is one person). The `wa_id` wins because staff are linked by their number
and because identities created before the business-scoped ids keep working; `sender_phone`
(E.164) is only set when the `wa_id` is there. A user who later hides their number arrives
with the business-scoped id and is a new chat identity (their unfinished draft starts again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.channels.whatsapp import schema
from bot.messaging.messages import Contact, Inbound, Location, Media, MediaKind

CHANNEL = "whatsapp"

# Our own "next page" rows in a paged list (handled in the channel layer, see whatsapp_webhook).
PAGE_PREFIX = "wa:pg:"

_MEDIA_TYPES: dict[str, MediaKind] = {
    "image": "photo",
    "audio": "audio",
    "video": "video",
    "document": "document",
    "sticker": "sticker",
}

# Message types that need no answer: reactions, system notices, and our own echoes.
_IGNORED_TYPES = {"reaction", "system", "request_welcome", "ephemeral", "edit", "revoke"}
# The types we read; any other (order, unsupported, unknown, ...) is answered as unusable.
_READ_TYPES = {"text", "interactive", "button", "location", "contacts", *_MEDIA_TYPES}

Item = dict[str, Any]


@dataclass(frozen=True)
class StatusUpdate:
    """What became of one message we sent: sent, delivered, read or failed."""

    message_id: str
    status: str
    at: datetime | None
    error_code: int | None = None


@dataclass(frozen=True)
class Rejected:
    """A part of the POST set aside: where it was, why, and the part itself (to keep a bit of)."""

    part: str
    reason: str
    content: Any


@dataclass(frozen=True)
class WebhookBatch:
    messages: list[Item]
    statuses: list[StatusUpdate]
    rejected: list[Rejected] = field(default_factory=list)


def _sender_ids(message: dict[str, Any], contact: dict[str, Any]) -> tuple[str | None, str | None]:
    wa_id = contact.get("wa_id") or message.get("from") or None
    bsuid = contact.get("user_id") or message.get("from_user_id") or None
    return (str(wa_id) if wa_id else None, str(bsuid) if bsuid else None)


def _contact_for(message: dict[str, Any], contacts: list[dict[str, Any]]) -> dict[str, Any]:
    sender_wa, sender_user = message.get("from"), message.get("from_user_id")
    for contact in contacts:
        if (sender_wa and contact.get("wa_id") == sender_wa) or (
            sender_user and contact.get("user_id") == sender_user
        ):
            return contact
    return contacts[0] if len(contacts) == 1 else {}


def sender_key(item: Item) -> str | None:
    """The id we use for the sender (and chat): wa_id when present, else the user_id."""
    wa_id, bsuid = _sender_ids(item.get("message") or {}, item.get("contact") or {})
    return wa_id or bsuid


def chat_key(item: Item) -> str:
    return f"wa:{sender_key(item)}"


def update_key(item: Item) -> str:
    """The wamid: WhatsApp delivers webhooks at least once, so the inbox is unique on it."""
    return str(item["message"]["id"])


class _Walk:
    """One POST taken apart; every part that is not what Meta documents is set aside."""

    def __init__(self, phone_number_id: str | None) -> None:
        self.phone_number_id = phone_number_id
        self.batch = WebhookBatch([], [], [])

    def reject(self, part: str, reason: str, content: Any) -> None:
        self.batch.rejected.append(Rejected(part, reason, content))

    def objects(self, parent: dict[str, Any], key: str, where: str) -> list[tuple[str, Any]]:
        """`parent[key]` as (path, element) pairs; not a list: the whole of it set aside."""
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            self.reject(f"{where}{key}", f"{key} is not a list", value)
            return []
        return [(f"{where}{key}[{i}]", element) for i, element in enumerate(value)]

    def payload(self, payload: dict[str, Any]) -> None:
        for where, entry in self.objects(payload, "entry", ""):
            if not isinstance(entry, dict):
                self.reject(where, "entry is not an object", entry)
                continue
            for place, change in self.objects(entry, "changes", f"{where}."):
                if not isinstance(change, dict):
                    self.reject(place, "change is not an object", change)
                elif change.get("field") == "messages":
                    self.change(place, change.get("value"))

    def change(self, where: str, value: Any) -> None:
        metadata = value.get("metadata", {}) if isinstance(value, dict) else None
        if not isinstance(value, dict) or not isinstance(metadata, dict):
            # Without its metadata we cannot tell which business number a change is for.
            self.reject(where, "value or its metadata is not an object", value)
            return
        number = metadata.get("phone_number_id")
        number = str(number) if isinstance(number, str | int) else ""
        if self.phone_number_id and number and number != self.phone_number_id:
            return
        listed = value.get("contacts")
        # A junk contact entry is not used; the message still has its own `from`.
        contacts = [c for c in map(schema.sender, listed) if c] if isinstance(listed, list) else []
        for place, message in self.objects(value, "messages", f"{where}.value."):
            self.message(place, message, contacts, number)
        for place, status in self.objects(value, "statuses", f"{where}.value."):
            self.status(place, status)

    def message(self, where: str, message: Any, contacts: list[Item], number: str) -> None:
        stored, problem = schema.check_message(message)
        if problem is not None:
            self.reject(where, problem, message)
        if stored is None:
            return
        item = {
            "message": stored,
            "contact": _contact_for(stored, contacts),
            "phone_number_id": number,
        }
        if sender_key(item):
            self.batch.messages.append(item)
        else:
            self.reject(where, "message without a sender", message)

    def status(self, where: str, status: Any) -> None:
        checked, at, problem = schema.check_status(status)
        if checked is None:
            self.reject(where, problem or "status", status)
            return
        code = checked.errors[0].code if checked.errors else None
        self.batch.statuses.append(StatusUpdate(checked.id, checked.status, at, code))


def parse_webhook(payload: dict[str, Any], *, phone_number_id: str | None = None) -> WebhookBatch:
    """Split one webhook POST into message items, status updates and the parts set aside.

    Changes for another business phone number (one app may serve several) are skipped.
    """
    walk = _Walk(phone_number_id)
    walk.payload(payload)
    return walk.batch


def _media(message: dict[str, Any], kind_name: str) -> Media | None:
    body = message.get(kind_name)
    if not isinstance(body, dict) or not body.get("id"):
        return None
    kind = _MEDIA_TYPES[kind_name]
    if kind_name == "audio" and body.get("voice"):
        kind = "voice"
    mime = body.get("mime_type")
    return Media(
        kind=kind, file_id=str(body["id"]), mime_type=str(mime) if isinstance(mime, str) else None
    )


def _option(message: dict[str, Any]) -> tuple[str | None, str | None]:
    """(option id, its visible title) of a reply-button press, list choice or template button."""
    interactive = message.get("interactive") or {}
    for part in ("button_reply", "list_reply"):
        chosen = interactive.get(part)
        if isinstance(chosen, dict) and chosen.get("id"):
            return str(chosen["id"]), chosen.get("title")
    button = message.get("button")
    if isinstance(button, dict) and (button.get("payload") or button.get("text")):
        return str(button.get("payload") or button.get("text")), button.get("text")
    return None, None


def _contact_card(message: dict[str, Any]) -> Contact | None:
    for card in message.get("contacts") or []:
        for phone in card.get("phones") or []:
            if phone.get("phone") or phone.get("wa_id"):
                number = str(phone.get("phone") or phone["wa_id"])
                return Contact(phone=number, user_id=phone.get("wa_id"))
    return None


def parse_item(item: Item) -> Inbound | None:
    """A stored message item → Inbound; None for what needs no answer (reactions, notices)."""
    message = item.get("message") or {}
    kind = str(message.get("type") or "")
    if kind in _IGNORED_TYPES:
        return None
    wa_id, bsuid = _sender_ids(message, item.get("contact") or {})
    sender = wa_id or bsuid
    if sender is None:
        return None
    text: str | None = None
    option: str | None = None
    location: Location | None = None
    media: Media | None = None
    prompt: str | None = None
    if kind == "text":
        text = (message.get("text") or {}).get("body")
    elif kind in ("interactive", "button"):
        option, _title = _option(message)
        prompt = (message.get("context") or {}).get("id")
    elif kind == "location":
        # Checked at the edge (whatsapp_schema): two numbers on the globe.
        point = message.get("location") or {}
        location = Location(float(point["latitude"]), float(point["longitude"]))
    elif kind in _MEDIA_TYPES:
        media = _media(message, kind)
        text = (message.get(kind) or {}).get("caption")
    contact = _contact_card(message) if kind == "contacts" else None
    # Orders, polls, unknown and unsupported types, a press on nothing we sent: we cannot use it.
    unusable = kind not in _READ_TYPES or (kind in ("interactive", "button") and option is None)
    return Inbound(
        channel=CHANNEL,
        user_id=sender,
        chat_id=sender,
        text=text,
        option=option,
        location=location,
        contact=contact,
        media=media,
        sender_phone=f"+{wa_id}" if wa_id and wa_id.isdigit() else None,
        prompt_message_id=str(prompt) if prompt else None,
        unusable=unusable,
    )


def page_request(inbound: Inbound) -> int | None:
    """The page asked for when the press is one of our own "next page" rows."""
    if not inbound.option or not inbound.option.startswith(PAGE_PREFIX):
        return None
    tail = inbound.option[len(PAGE_PREFIX) :]
    return int(tail) if tail.isdigit() else None
