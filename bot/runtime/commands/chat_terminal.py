"""The terminal as a channel: lines in, numbered lists out, and the demo's own commands.

Options are shown as a numbered list. Typing a plain number 1..N, or an option's label as shown
(`Terima`, `Tidak sekarang`), picks it; anything else (`-1`, `0`, `1.5`) is sent as text, and the
flow answers it kindly with the question again. In `--demo` two more commands exist, handled
here and never sent to the bot: `/sebagai WHO` (who is speaking) and `/jobs NAME [+3d]`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TextIO

from sqlalchemy import select

from bot.core.app import App
from bot.messaging.messages import Contact, Inbound, Option, Reply
from bot.runtime.commands.chat_demo import (
    CHANNEL,
    DEMO_JOBS,
    DemoClock,
    Person,
    demo_help,
    parse_shift,
)
from bot.runtime.dispatch import dispatch_in_transaction
from handlers.report.context import simplify
from handlers.report.matching import pick_by_number
from models import OutboxMessage

PHONE_LIKE = re.compile(r"\+?[0-9][0-9 .-]{6,}[0-9]")

# What an escalation sweep did, in words (the demo prints it; counts only, no case details).
_SWEEP_WORDS = {
    "reassigned": "dialihkan ke kader lain",
    "to_coordinator": "diserahkan ke koordinator",
    "to_dinas": "dilaporkan ke Dinas",
    "update_reminders": "pengingat kabar terbaru",
    "referral_reminders": "pengingat rujukan",
    "routed": "diteruskan ke petugas",
}


def job_outcome(result: object) -> str:
    from bot.escalation.per_case import SweepResult

    if not isinstance(result, SweepResult):
        return str(result)
    done = [f"{getattr(result, key)} {words}" for key, words in _SWEEP_WORDS.items()]
    shown = [d for d in done if not d.startswith("0 ")]
    return ", ".join(shown) or "tidak ada yang jatuh tempo (nothing was due)"


@dataclass
class TerminalChat:
    """Reads lines, sends them as Inbounds, prints what the bot queued for this chat."""

    app: App
    user_id: str
    out: TextIO
    who: str = "warga"  # the prompt: who is speaking
    options: list[Option] = field(default_factory=list)
    people: dict[str, Person] | None = None  # the demo's people; None outside --demo
    # The bot asked for this person's own number (/daftar): a typed number is that contact.
    asked_contact: bool = False

    def inbound(self, line: str) -> Inbound:
        text = line.strip()
        if self.asked_contact and PHONE_LIKE.fullmatch(text):
            self.asked_contact = False
            # The terminal has no contact button; the typed number stands for one's own card.
            return Inbound(CHANNEL, self.user_id, self.user_id, contact=Contact(text, self.user_id))
        option = pick_by_number(text, self.options) or self._by_label(text)
        if option is not None:
            return Inbound(CHANNEL, self.user_id, self.user_id, option=option.id)
        return Inbound(CHANNEL, self.user_id, self.user_id, text=text)

    def _by_label(self, text: str) -> Option | None:
        wanted = simplify(text)
        if not wanted or text.startswith("/"):
            return None
        same = [o for o in self.options if simplify(o.label) == wanted]
        return same[0] if len(same) == 1 else None

    async def handle_line(self, line: str) -> None:
        """One typed line: a demo command, or a message to the bot."""
        text = line.strip()
        head, _, rest = text.partition(" ")
        command = head.lower()
        if self.people is not None and command == "/sebagai":
            await self.switch(rest.strip().lower())
            return
        if self.people is not None and command == "/jobs":
            await self.run_job(rest.split())
            return
        if self.people is not None and command in {"/bantuan", "/help"}:
            self.note(demo_help(self.people))
        await self.send(text)

    async def send(self, line: str) -> None:
        await dispatch_in_transaction(self.app, self.inbound(line))
        await self.show_pending()

    def note(self, text: str) -> None:
        print(f"\n{text}", file=self.out)

    async def switch(self, who: str) -> None:
        assert self.people is not None
        person = self.people.get(who) or next(
            (p for p in self.people.values() if p.phone and p.phone == who), None
        )
        if person is None:
            self.note("(demo) /sebagai " + "|".join(self.people))
            return
        self.user_id, self.who, self.options = person.user_id, person.who, []
        self.note(f"(demo: sekarang berbicara / now speaking: {person.describe()})")
        if not await self.show_pending():
            self.note("(demo: belum ada pesan untuk orang ini / nothing is waiting)")

    async def run_job(self, args: list[str]) -> None:
        from bot.runtime.scheduler import run_job

        name = args[0].lower() if args else ""
        shift = parse_shift(args[1]) if len(args) == 2 else timedelta() if len(args) == 1 else None
        if name not in DEMO_JOBS or shift is None:
            self.note("(demo) /jobs " + "|".join(DEMO_JOBS) + " [+3d|+2h|+30m]")
            return
        clock = self.app.clock
        if shift and isinstance(clock, DemoClock):
            clock.advance(shift)
        now = self.app.clock.now()
        result = await run_job(self.app, name, now)
        local = now.astimezone(self.app.settings.zone)
        when = f"{local:%d-%m-%Y %H:%M} {local.tzname()}"
        self.note(f"(demo: {name} per {when}: {job_outcome(result)})")
        await self.show_pending()

    async def show_pending(self) -> int:
        """Print every pending message for this chat (replies and notifications), mark it sent.

        Returns how many there were.
        """
        now = self.app.clock.now()
        async with self.app.db.transaction() as session:
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(
                        OutboxMessage.channel == CHANNEL,
                        OutboxMessage.chat_id == self.user_id,
                        OutboxMessage.status == "pending",
                    )
                    .order_by(OutboxMessage.id)
                )
            ).all()
            for row in rows:
                self.print_reply(Reply.from_json(row.payload))
                row.status, row.sent_at, row.attempts = "sent", now, row.attempts + 1
        self.out.flush()
        return len(rows)

    def print_reply(self, reply: Reply) -> None:
        print(f"\n🤖 {reply.text}", file=self.out)
        if reply.media is not None:
            # A terminal cannot show a file: say which one came (the chart, the export).
            print(f"   [{reply.media.kind}: {reply.media.file_id}]", file=self.out)
        if reply.options:
            self.options = list(reply.options)
            for number, option in enumerate(reply.options, start=1):
                print(f"   {number}. {option.label}", file=self.out)
        self.asked_contact = reply.request_contact
        if reply.request_contact:
            print("   (share your phone number: type it, e.g. 0812...)", file=self.out)

    def prompt(self, echo: str | None = None) -> None:
        """`warga> `: who is speaking; a replayed script's line is shown after it."""
        if echo is None:
            print(f"\n{self.who}> ", end="", file=self.out)
        else:
            print(f"\n{self.who}> {echo}", file=self.out)
        self.out.flush()
