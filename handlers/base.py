"""What every conversation handler receives and how handlers are found.

A handler is `async def handler(turn: Turn) -> None`. It reads `turn.inbound`, may read and
change `turn.state` (the stored conversation: flow, step, data), adds replies to the sender with
`turn.reply(...)`, and calls services (bot/) for everything that changes a case. The dispatcher
(bot/runtime/dispatch.py) runs it inside one transaction, together with writing the replies to the
outbox and saving the conversation state, and marks the inbox row handled in that same
transaction. Handlers never import a platform library.

Routing (handlers/router.py) reads one HandlerTable, which handlers.router.build_table() lists
explicitly, in one place, and carries on every Turn:
- commands: "/status" -> handler (matched case-insensitively); staff_commands are those only
  linked staff may use;
- option_prefixes: "k" -> handler for option ids "k:..." (button data is "prefix:...");
- flows: "report" -> handler for free input while the conversation's flow is "report".
A command, prefix or flow listed twice is refused (DuplicateHandler) when the table is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from types import MappingProxyType
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
    # The router's table (handlers.router.HANDLERS), carried so /bantuan can name staff commands.
    handlers: HandlerTable
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


class DuplicateHandler(Exception):
    """Two handlers claim one command, button prefix or flow: refused when the bot starts."""


@dataclass(frozen=True)
class Command:
    """A handler for one or more commands ("/status", "/cek"); staff_only refuses residents."""

    handler: Handler
    names: tuple[str, ...]
    staff_only: bool = False

    def __init__(self, handler: Handler, *names: str, staff_only: bool = False) -> None:
        # Lower-cased here: an Inbound's command is lower-cased, so "/STATUS" matches too.
        object.__setattr__(self, "handler", handler)
        object.__setattr__(self, "names", tuple(name.lower() for name in names))
        object.__setattr__(self, "staff_only", staff_only)


@dataclass(frozen=True)
class ButtonPrefix:
    """A handler for every option id "prefix:..."."""

    handler: Handler
    prefix: str


@dataclass(frozen=True)
class Flow:
    """A handler for free input while the conversation is in this flow."""

    handler: Handler
    name: str


Entry = Command | ButtonPrefix | Flow


@dataclass(frozen=True)
class HandlerTable:
    """Which handler answers which command, button prefix and flow; built once, never changed."""

    commands: Mapping[str, Handler]
    staff_commands: frozenset[str]
    option_prefixes: Mapping[str, Handler]
    flows: Mapping[str, Handler]

    @classmethod
    def of(cls, *entries: Entry) -> HandlerTable:
        commands: dict[str, Handler] = {}
        prefixes: dict[str, Handler] = {}
        flows: dict[str, Handler] = {}
        staff: set[str] = set()
        for entry in entries:
            if isinstance(entry, Command):
                for name in entry.names:
                    _claim(commands, name, entry.handler, "command")
                    if entry.staff_only:
                        staff.add(name)
            elif isinstance(entry, ButtonPrefix):
                _claim(prefixes, entry.prefix, entry.handler, "button prefix")
            else:
                _claim(flows, entry.name, entry.handler, "flow")
        return cls(
            MappingProxyType(commands),
            frozenset(staff),
            MappingProxyType(prefixes),
            MappingProxyType(flows),
        )


def _claim(table: dict[str, Handler], key: str, handler: Handler, what: str) -> None:
    # Listed twice is a mistake even for the same handler: the order must never decide.
    owner = table.get(key)
    if owner is not None:
        raise DuplicateHandler(f"{what} {key!r}: {_name(owner)} and {_name(handler)}")
    table[key] = handler


def _name(handler: Handler) -> str:
    return f"{handler.__module__}.{getattr(handler, '__qualname__', repr(handler))}"
