"""The parts of a WhatsApp Cloud API webhook the bot reads, with their real bounds (pydantic v2).

Each message and each status of a POST is checked on its own (bot.channels.whatsapp.parse walks
the batch), so one broken part never costs the good ones. As for Telegram (telegram_schema):
only what we read is typed, strictly, the rest kept as it came; errors name a field and a rule,
never a value.

- A message whose envelope is usable (a wamid of at most 128 characters, a sender we can
  answer: a `wa_id` of digits or a business-scoped user id of at most 60 characters) but whose
  body is broken (`text` not an object, a junk contacts card or `interactive`) is kept as an
  `unsupported` message: its sender is told kindly that we cannot use it, like any type we do
  not read, and the broken body is set aside (rejected_inbound). A message without a usable
  envelope can be neither stored nor answered: set aside only.
- A status with an impossible value (a timestamp outside 2009-2100, an error code that is not
  an integer) is set aside and changes nothing.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from bot.channels.telegram.schema import describe

# Our inbox and identity columns: wamid 128, chat key "wa:" + sender in 64.
Wamid = Annotated[StrictStr, Field(min_length=1, max_length=128)]
WaId = Annotated[StrictStr, Field(min_length=1, max_length=20, pattern=r"^[0-9]+$")]
UserId = Annotated[StrictStr, Field(min_length=1, max_length=60)]
Label = Annotated[StrictStr, Field(max_length=256)]
Words = Annotated[StrictStr, Field(max_length=4096)]
# Unix seconds as WhatsApp sends them (a string of digits), within 2009 (WhatsApp) .. 2100.
EARLIEST, LATEST = 1230768000, 4102444800
Timestamp = Annotated[StrictStr, Field(max_length=10, pattern=r"^[0-9]+$")]


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class Sender(_Part):
    """An entry of `value.contacts`: who sent the messages of this change."""

    wa_id: WaId | None = None
    user_id: UserId | None = None


class Context(_Part):
    id: Wamid | None = None


class Envelope(_Part):
    id: Wamid
    sender: WaId | None = Field(default=None, alias="from")
    from_user_id: UserId | None = None
    timestamp: Timestamp | None = None
    type: Annotated[StrictStr, Field(max_length=32)] = ""
    context: Context | None = None


class Text(_Part):
    body: Words


class Choice(_Part):
    id: Label
    title: Label | None = None


class Interactive(_Part):
    button_reply: Choice | None = None
    list_reply: Choice | None = None


class Button(_Part):
    payload: Label | None = None
    text: Label | None = None


class Location(_Part):
    latitude: Annotated[float, Field(ge=-90, le=90, strict=True)]
    longitude: Annotated[float, Field(ge=-180, le=180, strict=True)]


class MediaBody(_Part):
    id: Annotated[StrictStr, Field(min_length=1, max_length=128)]
    mime_type: Label | None = None
    caption: Words | None = None
    voice: StrictBool | None = None


class Phone(_Part):
    phone: Annotated[StrictStr, Field(max_length=64)] | None = None
    wa_id: WaId | None = None


class Card(_Part):
    phones: Annotated[list[Phone], Field(max_length=20)] | None = None


class Cards(BaseModel):
    cards: Annotated[list[Card], Field(max_length=20)]


class Error(_Part):
    code: Annotated[StrictInt, Field(ge=0, lt=2**31)]


class Status(_Part):
    id: Wamid
    status: Annotated[StrictStr, Field(max_length=16)]
    timestamp: Timestamp | None = None
    errors: Annotated[list[Error], Field(max_length=10)] | None = None


_BODIES: dict[str, type[BaseModel]] = {
    "text": Text,
    "interactive": Interactive,
    "button": Button,
    "location": Location,
    "image": MediaBody,
    "audio": MediaBody,
    "video": MediaBody,
    "document": MediaBody,
    "sticker": MediaBody,
}
# The type we store a message as when its body cannot be read (handled as unusable).
UNUSABLE = "unsupported"


def sender(value: Any) -> dict[str, Any] | None:
    """A `value.contacts` entry we can rely on, or None (a junk entry is simply not used)."""
    try:
        Sender.model_validate(value)
    except ValidationError:
        return None
    return value if isinstance(value, dict) else None


def _body_problem(message: dict[str, Any], kind: str) -> str | None:
    try:
        if kind == "contacts":
            Cards.model_validate({"cards": message.get("contacts")})
        elif kind in _BODIES:
            _BODIES[kind].model_validate(message.get(kind))
    except ValidationError as exc:
        return describe(exc)
    return None


def check_message(message: Any) -> tuple[dict[str, Any] | None, str | None]:
    """(what to store, why a part was set aside): the message itself when all of it is good;
    an `unsupported` stand-in and the reason when only its body is broken; (None, reason) when
    it cannot be answered at all."""
    if not isinstance(message, dict):
        return None, "message is not an object"
    try:
        envelope = Envelope.model_validate(message)
    except ValidationError as exc:
        return None, describe(exc)
    problem = _body_problem(message, envelope.type)
    if problem is None:
        return message, None
    kept = {k: message[k] for k in ("id", "from", "from_user_id", "timestamp") if k in message}
    return {**kept, "type": UNUSABLE}, f"{envelope.type}: {problem}"


def check_status(status: Any) -> tuple[Status | None, datetime | None, str | None]:
    """(the status, when it happened, None) or (None, None, why it is ignored)."""
    try:
        checked = Status.model_validate(status)
    except ValidationError as exc:
        return None, None, describe(exc)
    at = None
    if checked.timestamp is not None:
        seconds = int(checked.timestamp)
        if not EARLIEST <= seconds <= LATEST:
            return None, None, "timestamp: out_of_range"
        at = datetime.fromtimestamp(seconds, UTC)
    return checked, at, None
