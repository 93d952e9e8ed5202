"""`patbm areas import KODE` and `patbm areas list [KODE]`."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sqlalchemy import func, select

from bot.cases.areas import AreaError, import_areas
from bot.core.app import App
from bot.runtime.commands.common import run_with_app
from models import Area


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser("areas", help="Kemendagri areas")
    areas_sub = parser.add_subparsers(dest="areas_command", required=True)
    imp = areas_sub.add_parser("import", help="load a kota/kabupaten's kecamatan and kelurahan")
    imp.add_argument("code", help="Kemendagri code of the kota/kabupaten, e.g. 15.71")
    imp.set_defaults(func=_import)
    lst = areas_sub.add_parser("list", help="list areas (the children of KODE)")
    lst.add_argument("code", nargs="?")
    lst.set_defaults(func=_list)


def _import(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        try:
            async with app.db.transaction() as session:
                result = await import_areas(session, args.code.strip())
        except AreaError as exc:
            print(f"patbm areas import: {exc}", file=sys.stderr)
            return 1
        print(result.summary())
        return 0

    return run_with_app(body)


def _list(args: argparse.Namespace) -> int:
    async def body(app: App) -> int:
        async with app.db.transaction() as session:
            query = select(Area).order_by(Area.code)
            if args.code:
                query = query.where(Area.parent_code == args.code)
            else:
                query = query.where(Area.level.in_(["kota", "kecamatan"]))
            areas = (await session.scalars(query)).all()
            if args.code and not areas and await session.get(Area, args.code) is None:
                print(f"patbm areas list: unknown area {args.code}", file=sys.stderr)
                return 1
            grouped = await session.execute(
                select(Area.parent_code, func.count()).group_by(Area.parent_code)
            )
            counts: dict[str | None, int] = {parent: n for parent, n in grouped.all()}
        if not areas:
            print("no areas yet: run `patbm areas import KODE` (e.g. 15.71 for Kota Jambi)")
        for area in areas:
            below = counts.get(area.code, 0)
            suffix = f"  ({below} below)" if below else ""
            print(f"{area.code:<16} {area.kind:<10} {area.name}{suffix}")
        return 0

    return run_with_app(body)
