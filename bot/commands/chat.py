"""`patbm chat`: the same flows in the terminal, as a resident or (--as PHONE) a staff member.

Options are shown as a numbered list; typing the number picks the option, anything else is
sent as text. `--demo` needs nothing else: a throw-away SQLite database in a temporary folder
with its own key, Kota Jambi's areas and a few demo staff.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.app import App, build_app
from bot.areas import import_areas
from bot.clock import SystemClock
from bot.crypto import KeyRing, set_keyring
from bot.db import Database
from bot.dispatch import dispatch_in_transaction
from bot.messages import Contact, Inbound, Option, Reply
from bot.settings import Settings
from bot.staff import add_staff, find_by_phone
from models import Area, AreaLevel, Base, ChatIdentity, OutboxMessage

CHANNEL = "terminal"
PHONE_LIKE = re.compile(r"\+?[0-9][0-9 .-]{6,}[0-9]")
DEMO_AREA = "15.71"
# (name, phone, role, which area: kelurahan index, kecamatan, or the kota)
DEMO_STAFF = (
    ("Kader Demo Satu", "081200000001", "kader", "kel0"),
    ("Kader Demo Dua", "081200000002", "kader", "kel1"),
    ("Koordinator Demo", "081200000003", "koordinator_kecamatan", "kec"),
    ("Petugas Dinas Demo", "081200000004", "dinas", "kota"),
)


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "chat", help="talk to the bot in the terminal (as a resident, or --as a staff member)"
    )
    parser.add_argument("--as", dest="as_phone", metavar="PHONE", help="act as this staff member")
    parser.add_argument("--user", default="warga", help="terminal user id (default: warga)")
    parser.add_argument(
        "--demo", action="store_true", help="throw-away database with Kota Jambi and demo staff"
    )
    parser.set_defaults(func=_chat)


@dataclass
class TerminalChat:
    """Reads lines, sends them as Inbounds, prints what the bot queued for this chat."""

    app: App
    user_id: str
    out: TextIO
    options: list[Option] = field(default_factory=list)
    # The bot asked for this person's own number (/daftar): a typed number is that contact.
    asked_contact: bool = False

    def inbound(self, line: str) -> Inbound:
        text = line.strip()
        if self.asked_contact and PHONE_LIKE.fullmatch(text):
            self.asked_contact = False
            # The terminal has no contact button; the typed number stands for one's own card.
            return Inbound(CHANNEL, self.user_id, self.user_id, contact=Contact(text, self.user_id))
        if text.isdigit() and 1 <= int(text) <= len(self.options):
            return Inbound(
                CHANNEL, self.user_id, self.user_id, option=self.options[int(text) - 1].id
            )
        return Inbound(CHANNEL, self.user_id, self.user_id, text=text)

    async def send(self, line: str) -> None:
        await dispatch_in_transaction(self.app, self.inbound(line))
        await self.show_pending()

    async def show_pending(self) -> None:
        """Print every pending message for this chat (replies and notifications) and mark it sent."""
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

    def print_reply(self, reply: Reply) -> None:
        print(f"\n🤖 {reply.text}", file=self.out)
        if reply.options:
            self.options = list(reply.options)
            for number, option in enumerate(reply.options, start=1):
                print(f"   {number}. {option.label}", file=self.out)
        self.asked_contact = reply.request_contact
        if reply.request_contact:
            print("   (share your phone number: type it, e.g. 0812...)", file=self.out)


async def _link_staff(app: App, phone: str, user_id: str) -> str | None:
    """Links the terminal identity to the staff member; their name, or None if unknown."""
    async with app.db.transaction() as session:
        staff = await find_by_phone(session, phone)
        if staff is None:
            return None
        identity = await session.scalar(
            select(ChatIdentity).where(
                ChatIdentity.channel == CHANNEL, ChatIdentity.external_id == user_id
            )
        )
        if identity is None:
            identity = ChatIdentity(
                channel=CHANNEL, external_id=user_id, chat_id=user_id, created_at=app.clock.now()
            )
            session.add(identity)
        identity.staff_id = staff.id
        return staff.name


async def _seed_demo(app: App) -> None:
    async with app.db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    now = app.clock.now()
    async with app.db.transaction() as session:
        await import_areas(session, DEMO_AREA)
        kecamatan = await session.scalar(
            select(Area)
            .where(Area.parent_code == DEMO_AREA, Area.level == AreaLevel.KECAMATAN)
            .order_by(Area.code)
        )
        assert kecamatan is not None
        kelurahan = (
            await session.scalars(
                select(Area).where(Area.parent_code == kecamatan.code).order_by(Area.code)
            )
        ).all()
        areas = {"kota": DEMO_AREA, "kec": kecamatan.code}
        areas.update({f"kel{i}": k.code for i, k in enumerate(kelurahan[:2])})
        for name, phone, role, where in DEMO_STAFF:
            staff = await add_staff(session, name, phone, role, areas[where], now)
            # Linked to the terminal chat that `--as PHONE` uses, so notifications reach it.
            user_id = f"staff-{phone}"
            session.add(
                ChatIdentity(
                    channel=CHANNEL,
                    external_id=user_id,
                    chat_id=user_id,
                    staff_id=staff.id,
                    created_at=now,
                )
            )


def _demo_app(folder: Path) -> App:
    key = Fernet.generate_key().decode()
    settings = Settings(
        database_url=f"sqlite+aiosqlite:///{folder / 'demo.db'}",
        data_dir=folder,
        encryption_key=key,  # type: ignore[arg-type]
        area_code=DEMO_AREA,
        _env_file=None,  # type: ignore[call-arg]
    )
    keyring = KeyRing([key])
    set_keyring(keyring)
    return App(
        settings=settings, db=Database(settings.database_url), clock=SystemClock(), keyring=keyring
    )


async def run_chat(
    app: App, *, user_id: str, as_phone: str | None, stdin: TextIO, out: TextIO
) -> int:
    if as_phone:
        name = await _link_staff(app, as_phone, user_id)
        if name is None:
            print(f"patbm chat: no active staff member with phone {as_phone}", file=sys.stderr)
            return 1
        print(f"(chatting as {name})", file=out)
    chat = TerminalChat(app, user_id, out)
    print(
        "PATBM Lapor, terminal chat. Ketik pesan; angka memilih opsi; Ctrl-D untuk keluar.\n"
        "(Type a message; a number picks an option; Ctrl-D quits.)",
        file=out,
    )
    if as_phone:
        # The staff home (their cases, a new report) and whatever was queued for them.
        await chat.send("/start")
    else:
        # A resident sees the welcome and the first question without typing anything.
        await chat.send("/start")
    while True:
        line = await asyncio.to_thread(stdin.readline)
        if not line:
            break
        if line.strip():
            await chat.send(line)
    print("", file=out)
    return 0


def _chat(args: argparse.Namespace) -> int:
    if not args.verbose:
        # Log lines would interleave with the conversation on the same terminal.
        logging.getLogger().setLevel(logging.WARNING)
    user_id = f"staff-{args.as_phone}" if args.as_phone and args.user == "warga" else args.user

    async def main(app: App) -> int:
        try:
            if args.demo:
                await _seed_demo(app)
                print(
                    "(demo: a throw-away database with Kota Jambi; demo staff: "
                    + ", ".join(f"{name} {phone}" for name, phone, _, _ in DEMO_STAFF)
                    + ")"
                )
            return await run_chat(
                app, user_id=user_id, as_phone=args.as_phone, stdin=sys.stdin, out=sys.stdout
            )
        finally:
            await app.close()

    if args.demo:
        with tempfile.TemporaryDirectory(prefix="patbm-demo-") as folder:
            return asyncio.run(main(_demo_app(Path(folder))))
    return asyncio.run(main(build_app()))
