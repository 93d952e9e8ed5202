"""Realistic cases in Kota Jambi for the reporting tests, full of distinctive personal data.

Every personal value contains a marker that must never show up in an export, a statistic, a
log line or (after retention) the raw database: `PERSONAL` lists them all.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from bot.admin.staff import add_staff
from bot.cases.areas import import_areas
from bot.cases.lifecycle import Actor, record_event, transition
from bot.core.clock import SystemClock
from bot.core.crypto import KeyRing, set_keyring
from bot.core.db import Database
from bot.core.settings import get_settings
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from models import Base, Case, CasePriority, CaseStatus, Staff
from tests.support import dbutil
from tests.support.factories import make_case

S = CaseStatus

DESCRIPTION = "Zaskia dipukul ayah tirinya tiap malam XQDESC"
LOCATION = "Gang Kenanga RT 07 RW 03 rumah cat hijau XQLOC"
OUTCOME = "Korban dibawa ke rumah nenek XQOUT"
NOTE = "Ibu korban bernama Marlina, HP 0813-7788-9900 XQNOTE"
EVIDENCE_FILE = "AgADBAADXQEVIDENCEFILE"
REPORTER_CHAT = "558877441"
KADER_NAME = "Siti Rahmawati Kaderjambi"
KADER_PHONE = "081234567891"
KOORD_NAME = "Budi Santoso Koordinator"
KOORD_PHONE = "081298765432"
DINAS_NAME = "Dewi Lestari Dinas"
DINAS_PHONE = "081311112222"

PERSONAL = (
    "XQDESC",
    "XQLOC",
    "XQOUT",
    "XQNOTE",
    "Zaskia",
    "Marlina",
    "Kenanga",
    EVIDENCE_FILE,
    REPORTER_CHAT,
    "Siti Rahmawati",
    "Budi Santoso",
    "Dewi Lestari",
    "81234567891",
    "81298765432",
    "81311112222",
    "7788-9900",
)

KEL_TELANAIPURA = "15.71.01.1001"  # Simpang IV Sipin, Telanaipura
KEL_JAMBI_SELATAN = "15.71.02.1002"  # Pasir Putih, Jambi Selatan


@dataclass
class Seeded:
    kader: Staff
    koordinator: Staff
    dinas: Staff
    cases: dict[str, Case]


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def new_case(
    created: datetime,
    *,
    kelurahan: str = KEL_TELANAIPURA,
    categories: tuple[str, ...] = ("fisik",),
    priority: CasePriority = CasePriority.BIASA,
) -> Case:
    """A relative's report with every personal field filled in with a PERSONAL marker."""
    return make_case(
        created,
        kelurahan=kelurahan,
        categories=categories,
        priority=priority,
        sex="p",
        reporter_chat=REPORTER_CHAT,
        description=DESCRIPTION,
        location_detail=LOCATION,
        place="rumah_tangga",
        perpetrator_relation="orang_tua",
        location_point={"latitude": -1.61, "longitude": 103.6},
        evidence=[{"kind": "photo", "file_id": EVIDENCE_FILE}],
        reporter_role="keluarga",
    )


async def _add(session: AsyncSession, case: Case) -> Case:
    session.add(case)
    await session.flush()
    record_event(session, case, "created", Actor("reporter", channel="telegram"), case.created_at)
    return case


def _assign(session: AsyncSession, case: Case, staff: Staff, when: datetime) -> None:
    case.assignee_id = staff.id
    case.assigned_at = when
    transition(session, case, S.DITUGASKAN, Actor.system(), when, data={"reason": "kader"})


async def seed(session: AsyncSession, now: datetime) -> Seeded:
    """Six cases: this month, last month, and long closed ones past the retention period."""
    await import_areas(session, "15.71")
    kader = await add_staff(session, KADER_NAME, KADER_PHONE, "kader", KEL_TELANAIPURA, now)
    koord = await add_staff(
        session, KOORD_NAME, KOORD_PHONE, "koordinator_kecamatan", "15.71.02", now
    )
    dinas = await add_staff(session, DINAS_NAME, DINAS_PHONE, "dinas", "15.71", now)
    by_kader = Actor("staff", staff_id=kader.id, channel="telegram")
    cases: dict[str, Case] = {}

    # Resolved and closed this month: accepted after 2 h, resolved after 3 days.
    t = at("2026-11-02T01:00:00")
    a = cases["closed_this_month"] = await _add(
        session, new_case(t, categories=("fisik", "psikis"))
    )
    _assign(session, a, kader, t)
    transition(session, a, S.DITERIMA, by_kader, t + timedelta(hours=2))
    record_event(session, a, "note_added", by_kader, t + timedelta(hours=3), note=NOTE)
    transition(session, a, S.DITANGANI, by_kader, t + timedelta(days=1))
    a.outcome = OUTCOME
    transition(session, a, S.SELESAI, by_kader, t + timedelta(days=3))
    transition(session, a, S.DITUTUP, Actor("staff", dinas.id, "telegram"), t + timedelta(days=4))
    enqueue(
        session,
        channel="telegram",
        chat_id="7001",
        reply=Reply(text=f"Rincian kasus: {DESCRIPTION} di {LOCATION}"),
        now=t + timedelta(hours=2),
        case_id=a.id,
        staff_id=kader.id,
    )

    # A darurat case in another kecamatan, escalated once to the coordinator, accepted in 30 min.
    t = at("2026-11-10T05:00:00")
    b = cases["escalated"] = await _add(
        session,
        new_case(
            t, kelurahan=KEL_JAMBI_SELATAN, categories=("seksual",), priority=CasePriority.DARURAT
        ),
    )
    _assign(session, b, koord, t)
    b.escalation_level = 1
    record_event(
        session, b, "escalated", Actor.system(), t + timedelta(minutes=20), data={"level": 1}
    )
    transition(
        session, b, S.DITERIMA, Actor("staff", koord.id, "whatsapp"), t + timedelta(minutes=30)
    )

    # Still new, reported last month.
    t = at("2026-10-15T03:00:00")
    cases["new_last_month"] = await _add(session, new_case(t, categories=("penelantaran",)))

    # Closed long ago: past a 24-month retention period on 2026-11-23.
    t = at("2024-01-10T02:00:00")
    d = cases["old_closed"] = await _add(session, new_case(t))
    _assign(session, d, kader, t)
    transition(session, d, S.DITERIMA, by_kader, t + timedelta(hours=5))
    record_event(session, d, "note_added", by_kader, t + timedelta(hours=6), note=NOTE)
    d.outcome = OUTCOME
    transition(session, d, S.SELESAI, by_kader, t + timedelta(days=10))
    transition(
        session, d, S.DITUTUP, Actor("staff", dinas.id, "telegram"), at("2024-03-01T02:00:00")
    )
    enqueue(
        session,
        channel="telegram",
        chat_id="7001",
        reply=Reply(text=f"Rincian kasus: {DESCRIPTION} di {LOCATION}"),
        now=t,
        case_id=d.id,
    )
    enqueue(
        session,
        channel="telegram",
        chat_id=REPORTER_CHAT,
        reply=Reply(text="Laporan Anda sedang ditangani"),
        now=t,
        case_id=d.id,
    )

    # Withdrawn long ago (no closed_at: the time of the withdrawal counts).
    t = at("2024-02-01T02:00:00")
    e = cases["old_withdrawn"] = await _add(session, new_case(t, categories=("psikis",)))
    transition(session, e, S.DIBATALKAN, Actor("staff", dinas.id, "cli"), t + timedelta(days=1))

    # Closed 16 months ago: still within the retention period.
    t = at("2025-06-01T02:00:00")
    f = cases["recent_closed"] = await _add(session, new_case(t, categories=("eksploitasi",)))
    _assign(session, f, kader, t)
    transition(session, f, S.DITERIMA, by_kader, t + timedelta(hours=1))
    transition(session, f, S.SELESAI, by_kader, t + timedelta(days=2))
    transition(
        session, f, S.DITUTUP, Actor("staff", dinas.id, "telegram"), at("2025-07-01T02:00:00")
    )
    await session.flush()
    return Seeded(kader, koord, dinas, cases)


async def _seed_url(url: str, now: datetime) -> dict[str, str]:
    database = Database(url)
    try:
        if database.is_sqlite:
            async with database.engine.begin() as conn:
                await conn.run_sync(Base.metadata.create_all)
        else:
            await dbutil.truncate_all(database.engine)
        async with database.transaction() as session:
            seeded = await seed(session, now)
            return {name: case.reference for name, case in seeded.cases.items()}
    finally:
        await database.dispose()


def seed_sync(url: str, now: datetime, key: str) -> dict[str, str]:
    """For CLI tests (synchronous, since the CLI runs its own event loop): name -> reference."""
    set_keyring(KeyRing([key]))
    return asyncio.run(_seed_url(url, now))


@contextmanager
def cli_environment(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    data_dir: Path,
    *,
    key: str | None,
    now: datetime = at("2026-11-23T02:00:00"),
) -> Iterator[None]:
    """Settings for an in-process `bot.runtime.cli.main([...])`: env vars, no stray .env, logging restored.

    `key`: PATBM_ENCRYPTION_KEY, or None to use the key file in `data_dir`. The system clock
    stands at `now`, so results do not depend on the day the tests run.
    """
    monkeypatch.setattr(SystemClock, "now", lambda self: now)
    monkeypatch.chdir(data_dir)  # no .env of the developer's checkout
    monkeypatch.setenv("PATBM_DATABASE_URL", database_url)
    monkeypatch.setenv("PATBM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PATBM_AREA_CODE", "15.71")
    if key is None:
        monkeypatch.delenv("PATBM_ENCRYPTION_KEY", raising=False)
    else:
        monkeypatch.setenv("PATBM_ENCRYPTION_KEY", key)
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    get_settings.cache_clear()
    try:
        yield
    finally:
        get_settings.cache_clear()
        root.handlers[:] = handlers
        root.setLevel(level)
