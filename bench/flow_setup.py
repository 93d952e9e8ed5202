"""Set-up of a report-flow database, as an administrator would do it: `patbm db upgrade`,
`patbm areas import 15.71`, `patbm staff import` with a kader for every kelurahan (so routing
has someone) and one Dinas officer (who reads the dashboard in the memory row)."""

from __future__ import annotations

import asyncio
import csv
from pathlib import Path

from bench.common import patbm_cli

AREA = "15.71"


async def _kelurahan_codes(database_url: str) -> list[str]:
    from sqlalchemy import func, select

    from bot.core.db import Database
    from models import Area

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            rows = await session.scalars(
                select(Area.code).where(func.length(Area.code) == len("15.71.01.1001"))
            )
            return sorted(rows.all())
    finally:
        await db.dispose()


def prepare_database(database_url: str, env: dict[str, str], workdir: Path) -> int:
    """Migrate, import the areas, register a kader per kelurahan; the number of kader."""
    env = {**env, "PATBM_DATABASE_URL": database_url}
    patbm_cli(["db", "upgrade"], env, workdir)
    patbm_cli(["areas", "import", AREA], env, workdir)
    codes = asyncio.run(_kelurahan_codes(database_url))
    staff_csv = workdir / "kader.csv"
    with staff_csv.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "phone", "role", "area_code"])
        for index, code in enumerate(codes):
            writer.writerow([f"Kader {index + 1}", f"+62812{index + 1:08d}", "kader", code])
        writer.writerow(["Petugas Dinas PPPA", "+62811000001", "dinas", AREA])
    patbm_cli(["staff", "import", str(staff_csv)], env, workdir)
    return len(codes)
