"""One simulated chat user: drives the real dispatcher with neutral Inbounds, as a person would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from bot.core.app import App
from bot.messaging.messages import Contact, Inbound, Location, Media, Option, Reply
from bot.runtime.dispatch import dispatch_in_transaction
from handlers.base import ConversationState, HandlerTable
from handlers.router import HANDLERS
from models import Conversation


async def stored_state(app: App, channel: str, user_id: str) -> ConversationState | None:
    async with app.db.transaction() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.user_id == user_id
            )
        )
        if row is None:
            return None
        return ConversationState(row.flow, row.step, dict(row.data or {}), row.language)


@dataclass
class Chat:
    """`replies` are the latest answers; press() looks for buttons there."""

    app: App
    user_id: str = "1001"
    channel: str = "telegram"
    replies: list[Reply] = field(default_factory=list)
    language_hint: str | None = None
    # The router's table; a test may give one with extra commands (handlers.router.build_table).
    handlers: HandlerTable = HANDLERS
    _message_ids: int = 0

    async def send(self, text: str | None = None, **fields: Any) -> list[Reply]:
        inbound = Inbound(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=self.user_id,
            language_hint=self.language_hint,
            text=text,
            **fields,
        )
        queued = await dispatch_in_transaction(self.app, inbound, self.handlers)
        self.replies = [Reply.from_json(row.payload) for row in queued]
        return self.replies

    async def text(self, text: str) -> list[Reply]:
        return await self.send(text)

    async def option(self, option_id: str, *, prompt: str | None = None) -> list[Reply]:
        return await self.send(option=option_id, prompt_message_id=prompt)

    async def media(self, kind: str, file_id: str = "FILE-1") -> list[Reply]:
        return await self.send(media=Media(kind, file_id))  # type: ignore[arg-type]

    async def location(self, lat: float = -1.6, lon: float = 103.6) -> list[Reply]:
        return await self.send(location=Location(lat, lon))

    async def contact(self, phone: str = "+6281234567890") -> list[Reply]:
        return await self.send(contact=Contact(phone, self.user_id))

    @property
    def options(self) -> list[Option]:
        return [o for r in self.replies for o in r.options]

    @property
    def texts(self) -> str:
        return "\n".join(r.text for r in self.replies)

    def _match(self, needle: str) -> Option | None:
        exact = [o for o in self.options if needle in (o.id, o.id.split(":", 2)[-1])]
        hits = exact or [o for o in self.options if needle in o.label]
        return hits[0] if hits else None

    def find(self, needle: str) -> Option:
        """The option of the latest replies whose value is `needle`, else whose label has it."""
        hit = self._match(needle)
        assert hit is not None, f"no option {needle!r} in {[o.id for o in self.options]}"
        return hit

    async def press(self, needle: str) -> list[Reply]:
        """A button of the latest replies (by id, value or label), pressed on its message, so
        the first reply edits that message; or a full option id (`k:acc:7`) pressed as given,
        a button of some earlier message such as a staff notification."""
        hit = self._match(needle)
        if hit is None:
            assert ":" in needle, f"no option {needle!r} in {[o.id for o in self.options]}"
            return await self.option(needle)
        self._message_ids += 1
        return await self.option(hit.id, prompt=f"m{self._message_ids}")

    async def state(self) -> ConversationState | None:
        return await stored_state(self.app, self.channel, self.user_id)

    async def step(self) -> str | None:
        state = await self.state()
        return state.step if state else None

    async def flow(self) -> str | None:
        state = await self.state()
        return state.flow if state else None
