"""`patbm staff import FILE.csv | add | list | invite | backup`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from bot.admin.staff import (
    StaffError,
    StaffImportRefused,
    add_staff,
    create_invite,
    import_staff,
    list_staff,
    set_backup,
)
from bot.core.app import App
from bot.runtime.commands.common import run_with_app
from models import StaffRole


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("staff", help="cadres, coordinators, Dinas")
    staff_sub = parser.add_subparsers(dest="staff_command", required=True)
    imp = staff_sub.add_parser(
        "import", help="register staff from a CSV: name,phone,role,area_code"
    )
    imp.add_argument("file", type=Path)
    imp.set_defaults(func=_import)
    add = staff_sub.add_parser("add", help="register or update one staff member")
    add.add_argument("--name", required=True)
    add.add_argument("--phone", required=True)
    add.add_argument("--role", required=True, choices=[r.value for r in StaffRole])
    add.add_argument("--area", required=True, help="Kemendagri code of their area")
    add.set_defaults(func=_add)
    lst = staff_sub.add_parser("list", help="list staff (within an area)")
    lst.add_argument("--area")
    lst.set_defaults(func=_list)
    inv = staff_sub.add_parser("invite", help="print a one-time code to link a chat account")
    inv.add_argument("phone")
    inv.set_defaults(func=_invite)
    bak = staff_sub.add_parser("backup", help="make BACKUP the backup cadre of PHONE")
    bak.add_argument("phone")
    bak.add_argument("backup")
    bak.set_defaults(func=_backup)


def _import(args: argparse.Namespace) -> int:
    try:
        text = args.file.read_text(encoding="utf-8")
    except OSError as exc:
        print(f"patbm staff import: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1

    async def body(app: App) -> int:
        try:
            async with app.db.transaction() as session:
                result = await import_staff(session, text, app.clock.now())
        except StaffImportRefused as exc:
            print(f"patbm staff import: {args.file} refused, nothing imported:", file=sys.stderr)
            for problem in exc.problems:
                print(f"  {problem}", file=sys.stderr)
            return 1
        print(f"{result.added} added, {result.updated} updated, {result.unchanged} unchanged")
        return 0

    return run_with_app(body)


def _add(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        try:
            async with app.db.transaction() as session:
                staff = await add_staff(
                    session, args.name, args.phone, args.role, args.area, app.clock.now()
                )
        except StaffError as exc:
            print(f"patbm staff add: {exc}", file=sys.stderr)
            return 1
        print(f"staff #{staff.id} {staff.name} ({staff.role}, {staff.area_code}) registered")
        return 0

    return run_with_app(body)


def _list(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        async with app.db.transaction() as session:
            staff = await list_staff(session, args.area)
        if not staff:
            print("no staff registered yet: `patbm staff import FILE.csv`")
        for s in staff:
            duty = "on duty" if s.on_duty else "off duty"
            active = "" if s.active else " (inactive)"
            print(
                f"#{s.id:<4} {s.role:<22} {s.area_code:<14} {s.phone:<15} {duty:<8} {s.name}{active}"
            )
        return 0

    return run_with_app(body)


def _invite(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        try:
            async with app.db.transaction() as session:
                staff, code = await create_invite(session, args.phone, app.clock.now())
        except StaffError as exc:
            print(f"patbm staff invite: {exc}", file=sys.stderr)
            return 1
        print(f"one-time code for {staff.name}: {code} (valid 7 days)")
        print(f"  in the chat with the bot, send: /start {code}")
        username = app.settings.telegram_bot_username
        if username:
            print(f"  Telegram link: https://t.me/{username.lstrip('@')}?start={code}")
        return 0

    return run_with_app(body)


def _backup(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        try:
            async with app.db.transaction() as session:
                staff = await set_backup(session, args.phone, args.backup)
        except StaffError as exc:
            print(f"patbm staff backup: {exc}", file=sys.stderr)
            return 1
        print(f"backup set for {staff.name}")
        return 0

    return run_with_app(body)
