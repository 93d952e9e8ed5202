"""What one report-flow run sends `patbm run`: the residents (bench/residents.py), by long
polling or through the webhook, and for the memory row also photos and a dashboard reader.

The memory target has two parts: < 150 MB during the plain flow, and < 200 MB while evidence and
the dashboard are at work too. For the second (`Extra`), each resident sends a photo with the
story as its caption (the bot fetches it with getFile, stores it encrypted, and the resident
presses on), and one Dinas officer, signed in with a one-time link as a person would be, reads
the dashboard page and downloads the month's export over and over while the residents report
and until every photo is stored.
"""

from __future__ import annotations

import asyncio
import os
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime

import httpx

from bench.fakes import TimedFakeTelegram
from bench.residents import Driver, Pace, Resident, Webhook

RESIDENT_BASE = 700_000
# A phone photo as Telegram hands it to bots (compressed, about this size), JPEG magic first.
PHOTO_BYTES = 1_000_000


@dataclass
class Extra:
    """Photos from the residents and a dashboard reader (signed in at `login`) during the run."""

    login: tuple[str, str]  # (base URL of `patbm run`, one-time dashboard token)
    database_url: str  # where the run waits for every photo to be stored before it ends
    pages: int = 0
    stored: int = 0  # photos stored (encrypted) by the end of the run
    errors: list[str] = field(default_factory=list)


async def dashboard_token(database_url: str, base: str) -> str:
    """A one-time dashboard link for the Dinas officer, as `/dasbor` would send it."""
    from sqlalchemy import select

    from bot.core.db import Database
    from bot.core.settings import Settings
    from bot.reporting.dashboard.tokens import issue_link
    from models import Staff, StaffRole

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            staff = await session.scalar(select(Staff).where(Staff.role == StaffRole.DINAS))
            assert staff is not None, "prepare_database registers a Dinas officer"
            settings = Settings(public_url=base, _env_file=None)  # type: ignore[call-arg]
            url = await issue_link(session, staff, datetime.now(UTC), settings)
        return url.split("?t=", 1)[1]
    finally:
        await db.dispose()


async def _stored_photos(database_url: str) -> int:
    from sqlalchemy import func, select

    from bot.core.db import Database
    from models import CaseEvidence, EvidenceStatus

    db = Database(database_url)
    try:
        async with db.transaction() as session:
            query = select(func.count()).where(CaseEvidence.status == EvidenceStatus.STORED)
            return int(await session.scalar(query) or 0)
    finally:
        await db.dispose()


async def _all_stored(extra: Extra, photos: int, within: float = 120.0) -> None:
    """Until every photo is stored: the peak RSS must include the evidence work, which runs
    after each report is sent (a bench polls; the test suite waits on events)."""
    deadline = asyncio.get_running_loop().time() + within
    while True:
        extra.stored = await _stored_photos(extra.database_url)
        if extra.stored >= photos or asyncio.get_running_loop().time() > deadline:
            return
        await asyncio.sleep(0.2)


async def _read_dashboard(extra: Extra, stop: asyncio.Event) -> None:
    base, token = extra.login
    month = datetime.now(UTC).strftime("%Y-%m")
    async with httpx.AsyncClient(base_url=base, timeout=60) as client:
        signed = await client.post("/dashboard/login", data={"t": token})
        if signed.status_code != 303:
            extra.errors.append(f"dashboard sign-in answered {signed.status_code}")
            return
        paths = (f"/dashboard?bulan={month}", f"/dashboard/ekspor.xlsx?bulan={month}")
        while not stop.is_set():
            response = await client.get(paths[extra.pages % len(paths)])
            if response.status_code != 200:
                extra.errors.append(f"dashboard answered {response.status_code}")
                return
            extra.pages += 1


async def drive(
    fake: TimedFakeTelegram,
    residents: int,
    seed: int,
    pace: Pace | None,
    webhook: tuple[str, str] | None = None,
    extra: Extra | None = None,
) -> tuple[list[Resident], list[str]]:
    """The residents' reports; and what went wrong on the webhook's or dashboard's side."""
    driver = Driver(fake, asyncio.get_running_loop())
    rng = random.Random(seed)
    people = [
        Resident(RESIDENT_BASE + seed * 1000 + i, random.Random(rng.random()), pace)
        for i in range(residents)
    ]
    stop = asyncio.Event()
    reader = None
    if extra is not None:
        for person in people:
            person.photo = f"BENCH-PHOTO-{person.chat}"
            fake.add_file(person.photo, b"\xff\xd8\xff\xe0" + os.urandom(PHOTO_BYTES))
        reader = asyncio.create_task(_read_dashboard(extra, stop))
    errors: list[str] = []
    try:
        if webhook is None:
            await asyncio.gather(*(person.report(driver) for person in people))
        else:
            async with Webhook(*webhook) as hook:
                fake.push = hook.push
                try:
                    await asyncio.gather(*(person.report(driver) for person in people))
                finally:
                    fake.push = None
            errors += hook.errors[:3]
        if extra is not None:
            await _all_stored(extra, len(people))
    finally:
        stop.set()
        if reader is not None:
            await reader
    if extra is not None:
        if extra.stored < len(people):
            errors.append(f"{extra.stored} of {len(people)} photos stored")
        errors += extra.errors[:3]
    return people, errors
