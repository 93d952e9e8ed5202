"""`patbm chat`: the same flows in the terminal, as a resident or (--as PHONE) a staff member.

Options are shown as a numbered list (bot/runtime/commands/chat_terminal.py). `--demo` needs nothing
else: a throw-away SQLite database in a temporary folder with its own key, Kota Jambi's areas
and a few demo staff, and `/sebagai WHO` to change who is speaking (bot/runtime/commands/chat_demo.py).
`--script FILE` replays a file of lines as if typed, showing each after its prompt. Log lines
go to PATBM_DATA_DIR/patbm-chat.log (in the demo's folder with --demo), to stderr with
--verbose: never between the bot's messages.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy import select

from bot.admin.staff import find_by_phone
from bot.core.app import App, build_app
from bot.runtime.commands.chat_demo import CHANNEL, RESIDENT, Person, banner, demo_app, seed_demo
from bot.runtime.commands.chat_terminal import TerminalChat
from models import ChatIdentity

# The file the chat's log lines go to, in the data folder.
LOG_FILE = "patbm-chat.log"


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "chat", help="talk to the bot in the terminal (as a resident, or --as a staff member)"
    )
    parser.add_argument("--as", dest="as_phone", metavar="PHONE", help="act as this staff member")
    parser.add_argument("--user", default=RESIDENT, help="terminal user id (default: warga)")
    parser.add_argument(
        "--demo", action="store_true", help="throw-away database with Kota Jambi and demo staff"
    )
    parser.add_argument(
        "--script", metavar="FILE", type=Path, help="replay the lines of FILE (# starts a comment)"
    )
    parser.add_argument(
        "--at", metavar="ISO-TIME", help="with --demo: the demo's clock starts at this instant"
    )
    parser.add_argument(
        "--verbose",
        dest="chat_verbose",
        action="store_true",
        help="log lines to stderr (otherwise to the data folder's patbm-chat.log)",
    )
    parser.set_defaults(func=_chat)


def script_lines(path: Path) -> Iterator[str]:
    """The lines of a demo script: blank lines and `# comments` left out."""
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if line and not line.startswith("#"):
            yield line


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


async def run_chat(
    app: App,
    *,
    user_id: str,
    as_phone: str | None,
    stdin: TextIO,
    out: TextIO,
    people: dict[str, Person] | None = None,
    script: list[str] | None = None,
) -> int:
    who = RESIDENT
    if as_phone:
        name = await _link_staff(app, as_phone, user_id)
        if name is None:
            print(f"patbm chat: no active staff member with phone {as_phone}", file=sys.stderr)
            return 1
        print(f"(chatting as {name})", file=out)
        known = [p for p in (people or {}).values() if p.user_id == user_id]
        who = known[0].who if known else "petugas"
    chat = TerminalChat(app, user_id, out, who=who, people=people)
    print(
        "PATBM Lapor, terminal chat. Ketik pesan; angka memilih opsi; Ctrl-D untuk keluar.\n"
        "(Type a message; a number picks an option; Ctrl-D quits.)",
        file=out,
    )
    if as_phone:
        # What is waiting for them (queued notices), then the staff home; with nothing queued
        # their cases too, since a notice queued before this chat was linked went nowhere.
        waiting = await chat.show_pending()
        await chat.send("/start")
        if not waiting:
            await chat.send("/kasus")
    else:
        # A resident sees the welcome and the first question without typing anything.
        await chat.send("/start")
    if script is not None:
        for line in script:
            chat.prompt(echo=line)
            await chat.handle_line(line)
    else:
        while True:
            chat.prompt()
            line = await asyncio.to_thread(stdin.readline)
            if not line:
                break
            if line.strip():
                await chat.handle_line(line)
    print("", file=out)
    return 0


def _logs_off_screen(app: App, verbose: bool) -> None:
    from bot.core.logs import log_to_file

    if not verbose:
        log_to_file(Path(app.settings.data_dir) / LOG_FILE)


def _chat(args: argparse.Namespace) -> int:
    verbose = bool(args.verbose or args.chat_verbose)
    user_id = f"staff-{args.as_phone}" if args.as_phone and args.user == RESIDENT else args.user
    script = list(script_lines(args.script)) if args.script else None
    start = None
    if args.at:
        from bot.core.clock import as_utc

        try:
            start = as_utc(datetime.fromisoformat(args.at.replace("Z", "+00:00")))
        except ValueError:
            print(f"patbm chat: --at {args.at!r} is not an ISO time", file=sys.stderr)
            return 2

    async def main(app: App) -> int:
        _logs_off_screen(app, verbose)
        try:
            people = None
            if args.demo:
                people = await seed_demo(app, resident=user_id if not args.as_phone else RESIDENT)
                print(banner(people))
            return await run_chat(
                app,
                user_id=user_id,
                as_phone=args.as_phone,
                stdin=sys.stdin,
                out=sys.stdout,
                people=people,
                script=script,
            )
        finally:
            await app.close()

    if args.demo:
        with tempfile.TemporaryDirectory(prefix="patbm-demo-") as folder:
            return asyncio.run(main(demo_app(Path(folder), start)))
    return asyncio.run(main(build_app()))
