"""What every conversation handler receives and how handlers are found.

A handler is `async def handler(turn: Turn) -> None`. It reads `turn.inbound`, may read and
change `turn.state` (the stored conversation: flow, step, data), adds replies to the sender with
`turn.reply(...)`, and calls services (bot/) for everything that changes a case. The dispatcher
(bot/runtime/dispatch.py) runs it inside one transaction, together with writing the replies to the
outbox and saving the conversation state, and marks the inbox row handled in that same
transaction. Handlers never import a platform library.

Routing to handlers (handlers/router.py) uses three registries filled at import time:
- COMMANDS: "/status" -> handler (commands are matched case-insensitively);
- OPTION_PREFIXES: "k" -> handler for option ids "k:..." (button data is "prefix:...");
- FLOWS: "report" -> handler for free input while the conversation's flow is "report".
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.app import App
from bot.core.i18n import Translator
from bot.messaging.messages import Inbound, Option, Reply
from models import ChatIdentity, Staff


@dataclass
class ConversationState:
    """The stored position of one chat user: which flow, which step, what was collected."""

    flow: str | None = None
    step: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    language: str = "id"

    def reset(self) -> None:
        self.flow = None
        self.step = None
        self.data = {}


@dataclass
class Turn:
    """One inbound message being handled."""

    app: App
    session: AsyncSession
    inbound: Inbound
    identity: ChatIdentity
    staff: Staff | None
    state: ConversationState
    now: datetime
    replies: list[Reply] = field(default_factory=list)

    @property
    def t(self) -> Translator:
        return Translator(self.state.language)

    def reply(
        self,
        text: str,
        options: list[Option] | tuple[Option, ...] = (),
        *,
        request_contact: bool = False,
        footer: str | None = None,
    ) -> None:
        self.replies.append(
            Reply(text=text, options=tuple(options), request_contact=request_contact, footer=footer)
        )


Handler = Callable[[Turn], Awaitable[None]]

COMMANDS: dict[str, Handler] = {}
OPTION_PREFIXES: dict[str, Handler] = {}
FLOWS: dict[str, Handler] = {}
# Commands only linked staff may use; others get a kind refusal from the router.
STAFF_COMMANDS: set[str] = set()


class DuplicateHandler(Exception):
    """Two handlers claim one command, button prefix or flow: refused when the bot starts."""


def _claim(table: dict[str, Handler], key: str, handler: Handler, what: str) -> None:
    # Import order must never decide which of two handlers wins.
    owner = table.get(key)
    if owner is not None and owner is not handler:
        raise DuplicateHandler(f"{what} {key!r}: {owner.__module__} and {handler.__module__}")
    table[key] = handler


def command(*names: str, staff_only: bool = False) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for name in names:
            _claim(COMMANDS, name.lower(), handler, "command")
            if staff_only:
                STAFF_COMMANDS.add(name.lower())
        return handler

    return register


def option_prefix(*prefixes: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        for prefix in prefixes:
            _claim(OPTION_PREFIXES, prefix, handler, "button prefix")
        return handler

    return register


def flow(name: str) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        _claim(FLOWS, name, handler, "flow")
        return handler

    return register
