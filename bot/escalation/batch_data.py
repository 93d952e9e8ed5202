"""What one sweep batch reads once for all its cases (see bot/escalation/batch.py).

The due cases as plain records (only the columns the sweep needs: loading `Case` objects would
decrypt description, location and reporter contact for nothing), the staff who may be routed
to or told with their chats, open-case loads, kelurahan names and who already had each case.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.routing import ASSIGN_EVENT_KINDS, open_case_counts
from bot.cases.worktime import WorkCalendar
from bot.core.settings import Settings
from bot.escalation.notice_groups import Notice
from models import Area, Case, CaseEvent, CaseStatus, ChatIdentity, Staff, StaffRole

# Plain table columns, not ORM attributes: a Core select skips the ORM's row handling, which
# was half the claim's CPU time.
CASES = Case.__table__
CLAIMED = tuple(
    CASES.c[name]
    for name in (
        "id",
        "reference",
        "status",
        "priority",
        "categories",
        "victim_age_group",
        "kecamatan_code",
        "kelurahan_code",
        "assignee_id",
        "escalation_level",
        "due_kind",
        "due_at",
        "created_at",
        "updated_at",
        "assigned_at",
        "accepted_at",
        "accept_misses",
        "reminded_at",
        "version",
    )
)


@dataclass
class DueCase:
    """The columns of a due case the sweep needs; no personal (encrypted) ones."""

    id: int
    reference: str
    status: str
    priority: str
    categories: list[str]
    victim_age_group: str | None
    kecamatan_code: str
    kelurahan_code: str
    assignee_id: int | None
    escalation_level: int
    due_kind: str | None
    due_at: datetime | None
    created_at: datetime
    updated_at: datetime
    assigned_at: datetime | None
    accepted_at: datetime | None
    accept_misses: int
    reminded_at: datetime | None
    version: int

    def clone(self) -> DueCase:
        """A shallow copy (copy.copy is three times slower, and the sweep makes thousands)."""
        twin = object.__new__(DueCase)
        twin.__dict__.update(self.__dict__)
        return twin


@dataclass
class StaffRecord:
    id: int
    role: str
    area_code: str
    active: bool
    on_duty: bool
    backup_id: int | None
    language: str
    last_assigned_at: datetime | None


class NeedsCasePath(Exception):
    """The case needs writes the batch does not plan; it goes through the per-case path."""


@dataclass
class Batch:
    now: datetime
    settings: Settings
    calendar: WorkCalendar
    staff: dict[int, StaffRecord]
    chats: dict[int, list[tuple[int, str, str]]]  # staff id -> (identity id, channel, chat id)
    areas: dict[str, str]
    counts: dict[int, int]
    tried: dict[int, set[int]]
    postgres: bool

    def __post_init__(self) -> None:
        # Staff records do not change role, area or duty within a batch: index them once.
        by_rank = sorted(self.staff.values(), key=lambda s: (not s.on_duty, s.id))
        self._kaders: dict[str, list[StaffRecord]] = defaultdict(list)
        self._coordinators: dict[str, list[StaffRecord]] = defaultdict(list)
        self._dinas: list[StaffRecord] = []
        for s in by_rank:
            if s.role == StaffRole.KADER and s.active and s.on_duty:
                self._kaders[s.area_code].append(s)
            elif s.role == StaffRole.KOORDINATOR and s.active:
                self._coordinators[s.area_code].append(s)
            elif s.role == StaffRole.DINAS and s.active:
                self._dinas.append(s)
        self.reachable = {staff_id for staff_id, chats in self.chats.items() if chats}

    def kaders_on_duty(self, kelurahan: str) -> list[StaffRecord]:
        return self._kaders.get(kelurahan, [])

    def coordinators(self, kecamatan: str) -> list[StaffRecord]:
        """Active, on duty first, then by id (as `bot.cases.notify.coordinators_of`)."""
        return self._coordinators.get(kecamatan, [])

    def dinas(self) -> list[StaffRecord]:
        return self._dinas

    def kelurahan(self, case: DueCase) -> str:
        return self.areas.get(case.kelurahan_code, case.kelurahan_code)

    def reachable_notice(self, staff: StaffRecord, case: DueCase, **kw: Any) -> Notice:
        if not self.chats.get(staff.id):
            raise NeedsCasePath("recipient without a linked chat")
        return Notice(staff_id=staff.id, language=staff.language, case_id=case.id, **kw)


async def load_batch(
    session: AsyncSession,
    cases: list[DueCase],
    now: datetime,
    settings: Settings,
    calendar: WorkCalendar,
    loads: dict[int, int],
    *,
    postgres: bool,
) -> Batch:
    kelurahan = {c.kelurahan_code for c in cases}
    kecamatan = {c.kecamatan_code for c in cases}
    assignees = {c.assignee_id for c in cases if c.assignee_id is not None}
    columns = (
        Staff.id,
        Staff.role,
        Staff.area_code,
        Staff.active,
        Staff.on_duty,
        Staff.backup_id,
        Staff.language,
        Staff.last_assigned_at,
    )
    staff_query = select(*columns).where(
        or_(
            (Staff.role == StaffRole.KADER) & Staff.area_code.in_(kelurahan),
            (Staff.role == StaffRole.KOORDINATOR) & Staff.area_code.in_(kecamatan),
            Staff.role == StaffRole.DINAS,
            Staff.id.in_(assignees),
        )
    )
    staff = {r.id: StaffRecord(**r._asdict()) for r in (await session.execute(staff_query)).all()}
    backups = {s.backup_id for s in staff.values() if s.backup_id is not None} - set(staff)
    if backups:
        rows = await session.execute(select(*columns).where(Staff.id.in_(backups)))
        staff.update({r.id: StaffRecord(**r._asdict()) for r in rows.all()})
    chats: dict[int, list[tuple[int, str, str]]] = defaultdict(list)
    identity_rows = await session.execute(
        select(ChatIdentity.id, ChatIdentity.staff_id, ChatIdentity.channel, ChatIdentity.chat_id)
        .where(ChatIdentity.staff_id.in_(list(staff)))
        .order_by(ChatIdentity.id)
    )
    for identity_id, staff_id, channel, chat_id in identity_rows.all():
        chats[int(staff_id or 0)].append((int(identity_id), str(channel), str(chat_id)))
    areas = dict(
        (await session.execute(select(Area.code, Area.name).where(Area.code.in_(kelurahan)))).all()
    )
    unknown = [s.id for s in staff.values() if s.role == StaffRole.KADER and s.id not in loads]
    if unknown:
        loads.update(dict.fromkeys(unknown, 0))
        loads.update(await open_case_counts(session, unknown))
    pending = [c.id for c in cases if c.status in (CaseStatus.BARU, CaseStatus.DITUGASKAN)]
    tried: dict[int, set[int]] = defaultdict(set)
    if pending:
        events = await session.execute(
            select(CaseEvent.case_id, CaseEvent.data).where(
                CaseEvent.case_id.in_(pending), CaseEvent.kind.in_(ASSIGN_EVENT_KINDS)
            )
        )
        for case_id, data in events.all():
            if data.get("staff_id") is not None:
                tried[int(case_id)].add(int(data["staff_id"]))
    return Batch(
        now=now,
        settings=settings,
        calendar=calendar,
        staff=staff,
        chats=dict(chats),
        areas={str(k): str(v) for k, v in areas.items()},
        counts=loads,
        tried=tried,
        postgres=postgres,
    )
