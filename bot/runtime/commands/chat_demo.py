"""`patbm chat --demo`: a throw-away database with Kota Jambi, demo staff, and a movable clock.

The demo tells the whole story in one terminal: the people in it (a resident and four staff
members, each linked to a terminal chat of their own) take turns with `/sebagai kader`, and
`/jobs escalation +3d` runs a scheduled job as of three days later (the clock stays moved, so
what follows happens then too).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.cases.areas import import_areas
from bot.core.app import App
from bot.core.crypto import KeyRing, set_keyring
from bot.core.db import Database
from bot.core.settings import Settings
from models import Area, AreaLevel, Base, ChatIdentity

CHANNEL = "terminal"
DEMO_AREA = "15.71"
RESIDENT = "warga"
# (who, name, phone, role, role in words, which area: kelurahan index, kecamatan, or the kota)
DEMO_STAFF = (
    ("kader", "Kader Demo Satu", "081200000001", "kader", "kader PATBM", "kel0"),
    ("kader2", "Kader Demo Dua", "081200000002", "kader", "kader PATBM", "kel1"),
    (
        "koordinator",
        "Koordinator Demo",
        "081200000003",
        "koordinator_kecamatan",
        "koordinator kecamatan",
        "kec",
    ),
    ("dinas", "Petugas Dinas Demo", "081200000004", "dinas", "petugas Dinas PPPA", "kota"),
)
# The scheduled jobs a demo can run; the outbox is the terminal itself.
DEMO_JOBS = ("escalation", "digest", "cleanup")
_SHIFT = re.compile(r"\+(\d{1,4})([dhm])")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}


@dataclass(frozen=True)
class Person:
    """Someone in the demo: who speaks (`/sebagai WHO`), as which terminal user."""

    who: str
    name: str
    role: str  # in words
    place: str  # in words: the kelurahan, kecamatan or kota they serve
    user_id: str
    phone: str | None = None

    def describe(self) -> str:
        phone = f", {self.phone}" if self.phone else ""
        return f"{self.name}, {self.role}, {self.place}{phone}"


class DemoClock:
    """The wall clock, moved on by the demo's `/jobs NAME +3d` (and started at `--at`)."""

    def __init__(self, start: datetime | None = None) -> None:
        self._offset = start - datetime.now(UTC) if start is not None else timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, delta: timedelta) -> datetime:
        self._offset += delta
        return self.now()


def parse_shift(text: str) -> timedelta | None:
    """'+3d' -> 3 days, '+2h', '+30m'; None for anything else."""
    match = _SHIFT.fullmatch(text.strip())
    if match is None:
        return None
    return timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


def demo_app(folder: Path, start: datetime | None = None) -> App:
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
        settings=settings,
        db=Database(settings.database_url),
        clock=DemoClock(start),
        keyring=keyring,
    )


async def seed_demo(app: App, resident: str = RESIDENT) -> dict[str, Person]:
    """Creates the schema, Kota Jambi and the demo staff; the people in the demo, by `who`."""
    async with app.db.engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    now = app.clock.now()
    people = {RESIDENT: Person(RESIDENT, "Warga", "warga yang melapor", "Kota Jambi", resident)}
    async with app.db.transaction() as session:
        await import_areas(session, DEMO_AREA)
        kota = await session.get(Area, DEMO_AREA)
        kecamatan = await session.scalar(
            select(Area)
            .where(Area.parent_code == DEMO_AREA, Area.level == AreaLevel.KECAMATAN)
            .order_by(Area.code)
        )
        assert kota is not None and kecamatan is not None
        kelurahan = (
            await session.scalars(
                select(Area).where(Area.parent_code == kecamatan.code).order_by(Area.code)
            )
        ).all()
        kec_words = f"Kecamatan {kecamatan.name}"
        areas = {"kota": (DEMO_AREA, kota.name), "kec": (kecamatan.code, kec_words)}
        for i, kel in enumerate(kelurahan[:2]):
            areas[f"kel{i}"] = (kel.code, f"Kelurahan {kel.name} ({kec_words})")
        for who, name, phone, role, role_words, where in DEMO_STAFF:
            code, place = areas[where]
            staff = await add_staff(session, name, phone, role, code, now)
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
            people[who] = Person(who, name, role_words, place, user_id, phone)
    return people


def banner(people: dict[str, Person]) -> str:
    width = max(len(who) for who in people)
    lines = [
        "(demo: a throw-away database with Kota Jambi, deleted when the chat ends)",
        "Orang dalam demo (people in the demo):",
        *(f"  {p.who.ljust(width)}  {p.describe()}" for p in people.values()),
        "Perintah demo: /sebagai "
        + "|".join(people)
        + " (siapa yang berbicara; who is speaking), "
        + "/jobs escalation +3d (jalankan eskalasi 3 hari kemudian; run the escalation 3 days later).",
    ]
    return "\n".join(lines)


def demo_help(people: dict[str, Person]) -> str:
    return (
        "(demo) /sebagai " + "|".join(people) + ": berbicara sebagai orang lain dalam demo "
        "(speak as another person in the demo).\n"
        "(demo) /jobs " + "|".join(DEMO_JOBS) + " [+3d|+2h|+30m]: jalankan tugas terjadwal, "
        "setelah memajukan jam demo (run a scheduled job, after moving the demo's clock on)."
    )
