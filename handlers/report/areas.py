"""The deployment's kecamatan and kelurahan, and forgiving matching of typed names."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.areas import deployment_kota
from bot.core.settings import Settings
from models import Area, AreaLevel

_PREFIX_RE = re.compile(
    r"^(kelurahan|kel|kecamatan|kec|desa|ds|kampung|kampong|kota|kabupaten|kab)\b\.?\s*"
)


@dataclass(frozen=True)
class Place:
    code: str
    name: str
    parent: str


@dataclass
class AreaIndex:
    """A snapshot of one kota's kecamatan and kelurahan, read once per turn."""

    kota_code: str
    kota_name: str
    kecamatan: list[Place] = field(default_factory=list)
    kelurahan: dict[str, list[Place]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._by_code = {p.code: p for p in self.kecamatan}
        for places in self.kelurahan.values():
            self._by_code.update({p.code: p for p in places})

    def get(self, code: str | None) -> Place | None:
        return self._by_code.get(code) if code else None

    def is_kecamatan(self, code: str) -> bool:
        place = self._by_code.get(code)
        return place is not None and place.parent == self.kota_code

    def all_kelurahan(self) -> list[Place]:
        return [p for places in self.kelurahan.values() for p in places]


async def load_area_index(session: AsyncSession, settings: Settings) -> AreaIndex | None:
    kota = await deployment_kota(session, settings.area_code)
    if kota is None:
        return None
    # Plain rows, not ORM objects: this runs on every turn of the flow.
    rows = await session.execute(
        select(Area.code, Area.name, Area.parent_code, Area.level)
        .where(Area.code.like(kota.code + ".%"))
        .order_by(Area.name, Area.code)
    )
    kecamatan: list[Place] = []
    kelurahan: dict[str, list[Place]] = {}
    below: list[Place] = []
    for code, name, parent, level in rows.all():
        if level == AreaLevel.KECAMATAN and parent == kota.code:
            kecamatan.append(Place(code, name, kota.code))
            kelurahan.setdefault(code, [])
        elif level == AreaLevel.KELURAHAN and parent is not None:
            below.append(Place(code, name, parent))
    for place in below:
        if place.parent in kelurahan:
            kelurahan[place.parent].append(place)
    return AreaIndex(kota.code, kota.name, kecamatan, kelurahan)


def normalise_name(text: str) -> str:
    """'Kel. Telanai  Pura' -> 'telanaipura': case, spaces, punctuation and prefixes ignored."""
    lowered = text.strip().lower()
    for _ in range(2):  # "kel. desa X" and the like
        lowered = _PREFIX_RE.sub("", lowered).strip()
    return re.sub(r"[^a-z0-9]", "", lowered)


def match_places(text: str, places: list[Place]) -> list[Place]:
    """Places whose name the text means: exact first, then prefix/contains, then small typos."""
    wanted = normalise_name(text)
    if len(wanted) < 3:
        return []
    keyed = [(normalise_name(p.name), p) for p in places]
    exact = [p for key, p in keyed if key == wanted]
    if exact:
        return exact
    partial = [p for key, p in keyed if key.startswith(wanted) or wanted in key]
    if partial:
        return partial
    keys = [key for key, _ in keyed]
    close = difflib.get_close_matches(wanted, keys, n=5, cutoff=0.75)
    return [p for key, p in keyed if key in close]
