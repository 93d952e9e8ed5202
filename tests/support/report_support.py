"""Driving the conversation engine in tests through neutral Inbounds, as a chat user would."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select

from bot.cases.areas import import_areas
from bot.core.app import App
from bot.messaging.messages import Contact, Inbound, Location, Media, Option, Reply
from bot.runtime.dispatch import dispatch_in_transaction
from handlers.base import ConversationState, HandlerTable
from handlers.router import HANDLERS
from models import Case, Conversation

KEC_TELANAIPURA = "15.71.01"
KEL_SIMPANG_IV_SIPIN = "15.71.01.1001"


async def seed_areas(app: App) -> None:
    async with app.db.transaction() as session:
        await import_areas(session, "15.71")


async def case_count(app: App) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def all_cases(app: App) -> list[Case]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())


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
    app: App
    user_id: str = "1001"
    channel: str = "telegram"
    replies: list[Reply] = field(default_factory=list)
    language_hint: str | None = None
    # The router's table; a test may give one with extra commands (handlers.router.build_table).
    handlers: HandlerTable = HANDLERS
    _message_ids: int = 0

    async def send(self, **fields: Any) -> list[Reply]:
        inbound = Inbound(
            channel=self.channel,
            user_id=self.user_id,
            chat_id=self.user_id,
            language_hint=self.language_hint,
            **fields,
        )
        queued = await dispatch_in_transaction(self.app, inbound, self.handlers)
        self.replies = [Reply.from_json(row.payload) for row in queued]
        return self.replies

    async def text(self, text: str) -> list[Reply]:
        return await self.send(text=text)

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

    def find(self, needle: str) -> Option:
        """The option of the latest replies whose value is `needle`, else whose label has it."""
        exact = [o for o in self.options if needle in (o.id, o.id.split(":", 2)[-1])]
        hits = exact or [o for o in self.options if needle in o.label]
        assert hits, f"no option {needle!r} in {[o.id for o in self.options]}"
        return hits[0]

    async def press(self, needle: str) -> list[Reply]:
        self._message_ids += 1
        return await self.option(self.find(needle).id, prompt=f"m{self._message_ids}")

    async def state(self) -> ConversationState | None:
        return await stored_state(self.app, self.channel, self.user_id)

    async def step(self) -> str | None:
        state = await self.state()
        return state.step if state else None


async def report_until_summary(chat: Chat, *, danger: bool = False) -> None:
    """Answers every question with a first choice, up to the summary (sent with "send": contact ok)."""
    await chat.text("/start")
    await chat.press("y" if danger else "n")
    await chat.press("fisik")
    await chat.press("ok")
    await chat.press("6-12")
    await chat.press("p")
    await chat.press(KEC_TELANAIPURA)
    await chat.press(KEL_SIMPANG_IV_SIPIN)
    await chat.text("RT 03 RW 02, dekat masjid")
    if not danger:
        await chat.press("today")
    await chat.text("Anak tetangga sering dipukul ayahnya.")
    if not danger:
        await chat.press("rumah_tangga")
        await chat.press("orang_tua")
        await chat.press("tetangga_saksi")
