"""The parts of a Telegram Update the bot reads, with Telegram's real bounds (pydantic v2).

Checked at the edge, before an update is stored (webhook and long polling alike): an update
that fails is refused whole (400 on the webhook; skipped by the poller), so nothing downstream
ever meets an id of the wrong type or size. Pydantic rather than PTB's `Update.de_json`: de_json
builds objects without checking types (`update_id: true` or a 70-character `from.id` go
through), and its errors are whatever the constructor raised; here every rule is declared in
one place, strict (no bool for an int, no "123" for an id), and an error names the field and the
rule, never the value, so it can be logged.

Only the fields we read are typed; everything else Telegram sends is kept as it came
(`extra="allow"`), so a newer Bot API adding fields never breaks us. Bounds:
- `update_id`: a positive int64;
- user and chat ids: Telegram's documented "at most 52 significant bits", |id| < 2**52;
- text and captions: 4096 characters (the Bot API's limit for a text message), callback data
  256 (Telegram's own is 64 bytes), file ids 256, language codes 35 (BCP 47);
- latitude and longitude within the globe.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, ValidationError

from bot.channels.inbound_limits import InvalidInput

ID_BOUND = 2**52
INT64_MAX = 2**63 - 1

TelegramId = Annotated[StrictInt, Field(gt=-ID_BOUND, lt=ID_BOUND)]
UpdateId = Annotated[StrictInt, Field(gt=0, le=INT64_MAX)]
Text = Annotated[StrictStr, Field(max_length=4096)]
Short = Annotated[StrictStr, Field(max_length=64)]
FileId = Annotated[StrictStr, Field(min_length=1, max_length=256)]


class _Part(BaseModel):
    model_config = ConfigDict(extra="allow", populate_by_name=True)


class User(_Part):
    id: TelegramId
    is_bot: StrictBool = False
    language_code: Annotated[StrictStr, Field(max_length=35)] | None = None


class Chat(_Part):
    id: TelegramId
    type: Short = "private"


class File(_Part):
    file_id: FileId
    file_size: Annotated[StrictInt, Field(ge=0, le=INT64_MAX)] | None = None
    mime_type: Annotated[StrictStr, Field(max_length=255)] | None = None


class Location(_Part):
    latitude: Annotated[float, Field(ge=-90, le=90, strict=True)]
    longitude: Annotated[float, Field(ge=-180, le=180, strict=True)]


class SharedContact(_Part):
    phone_number: Annotated[StrictStr, Field(max_length=64)] = ""
    user_id: TelegramId | None = None


class Message(_Part):
    message_id: TelegramId | None = None
    sender: User | None = Field(default=None, alias="from")
    chat: Chat
    text: Text | None = None
    caption: Text | None = None
    location: Location | None = None
    contact: SharedContact | None = None
    photo: Annotated[list[File], Field(max_length=32)] | None = None
    voice: File | None = None
    audio: File | None = None
    video: File | None = None
    video_note: File | None = None
    document: File | None = None
    sticker: File | None = None
    animation: File | None = None


class CallbackQuery(_Part):
    id: Annotated[StrictStr, Field(min_length=1, max_length=256)]
    sender: User = Field(alias="from")
    message: Message | None = None
    data: Annotated[StrictStr, Field(max_length=256)] | None = None


class Update(_Part):
    update_id: UpdateId
    message: Message | None = None
    edited_message: Message | None = None
    callback_query: CallbackQuery | None = None


def describe(exc: ValidationError) -> str:
    """Where and which rule, never the value: `message.from.id: less_than`."""
    first = exc.errors(include_url=False, include_input=False)[0]
    where = ".".join(str(part) for part in first["loc"]) or "update"
    return f"{where}: {first['type']}"


def check_update(update: Any) -> dict[str, Any]:
    """The update, unchanged, when what we read of it is well-formed; InvalidInput otherwise."""
    if not isinstance(update, dict):
        raise InvalidInput("update is not an object")
    try:
        Update.model_validate(update)
    except ValidationError as exc:
        raise InvalidInput(describe(exc)) from None
    return update


def update_id_of(update: Any) -> int | None:
    """A valid update_id of anything, for moving the poller's offset past a refused update."""
    value = update.get("update_id") if isinstance(update, dict) else None
    if isinstance(value, int) and not isinstance(value, bool) and 0 < value <= INT64_MAX:
        return value
    return None
