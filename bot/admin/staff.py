"""Staff administration: import from the Dinas's list, add, list, invite to link a chat."""

from __future__ import annotations

import csv
import hashlib
import io
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from lokal import parse_phone
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from models import Area, Staff, StaffRole
from models.staff import ROLE_AREA_LEVEL

CSV_HEADER = ["name", "phone", "role", "area_code"]
INVITE_TTL = timedelta(days=7)


class StaffError(ValueError):
    pass


@dataclass(frozen=True)
class StaffRow:
    line: int
    name: str
    phone: str  # E.164
    role: StaffRole
    area_code: str


@dataclass(frozen=True)
class RowProblem:
    line: int
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.reason}"


class StaffImportRefused(StaffError):
    def __init__(self, problems: list[RowProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


def normalise_phone(raw: str) -> str | None:
    """E.164 for an Indonesian number in any usual spelling (0812..., +62 812..., 62812...)."""
    info = parse_phone(raw.strip())
    return info.e164 if info.valid and info.e164 else None


def _check_row(
    line: int, name: str, phone: str, role: str, area_code: str, areas: dict[str, Area]
) -> StaffRow | list[RowProblem]:
    problems: list[RowProblem] = []
    if not name.strip():
        problems.append(RowProblem(line, "the name is empty"))
    e164 = normalise_phone(phone)
    if e164 is None:
        problems.append(
            RowProblem(line, f"{phone.strip()!r} is not a valid Indonesian phone number")
        )
    try:
        role_ = StaffRole(role.strip())
    except ValueError:
        roles = ", ".join(r.value for r in StaffRole)
        problems.append(RowProblem(line, f"unknown role {role.strip()!r} (one of: {roles})"))
        role_ = None
    area = areas.get(area_code.strip())
    if area is None:
        problems.append(
            RowProblem(
                line, f"unknown area {area_code.strip()!r} (run `patbm areas import` first?)"
            )
        )
    elif role_ is not None and area.level != ROLE_AREA_LEVEL[role_]:
        problems.append(
            RowProblem(
                line,
                f"a {role_.value} belongs to a {ROLE_AREA_LEVEL[role_]}, "
                f"but {area.code} ({area.name}) is a {area.level}",
            )
        )
    if problems or e164 is None or role_ is None:
        return problems
    return StaffRow(line, name.strip(), e164, role_, area_code.strip())


async def _areas(session: AsyncSession) -> dict[str, Area]:
    return {a.code: a for a in (await session.scalars(select(Area))).all()}


def parse_csv(text: str, areas: dict[str, Area]) -> list[StaffRow]:
    """All rows, or StaffImportRefused naming every bad line (the file is refused whole)."""
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise StaffImportRefused([RowProblem(1, "the file is empty")]) from None
    if header != CSV_HEADER:
        raise StaffImportRefused(
            [RowProblem(1, f"the header must be {','.join(CSV_HEADER)}, not {','.join(header)}")]
        )
    rows: list[StaffRow] = []
    problems: list[RowProblem] = []
    seen: dict[str, int] = {}
    for line, record in enumerate(reader, start=2):
        if not any(cell.strip() for cell in record):
            continue
        if len(record) != 4:
            problems.append(RowProblem(line, f"expected 4 columns, found {len(record)}"))
            continue
        name, phone, role, area_code = record
        checked = _check_row(line, name, phone, role, area_code, areas)
        if isinstance(checked, list):
            problems.extend(checked)
            continue
        if checked.phone in seen:
            problems.append(
                RowProblem(line, f"the phone number is already on line {seen[checked.phone]}")
            )
            continue
        seen[checked.phone] = line
        rows.append(checked)
    if problems:
        raise StaffImportRefused(problems)
    return rows


@dataclass(frozen=True)
class StaffImportResult:
    added: int
    updated: int
    unchanged: int


async def import_staff(session: AsyncSession, text: str, now: datetime) -> StaffImportResult:
    rows = parse_csv(text, await _areas(session))
    added = updated = unchanged = 0
    for row in rows:
        staff = await session.scalar(select(Staff).where(Staff.phone == row.phone))
        if staff is None:
            session.add(_new_staff(row.name, row.phone, row.role, row.area_code, now))
            added += 1
        elif (staff.name, staff.role, staff.area_code, staff.active) != (
            row.name,
            row.role.value,
            row.area_code,
            True,
        ):
            staff.name, staff.role, staff.area_code, staff.active = (
                row.name,
                row.role.value,
                row.area_code,
                True,
            )
            updated += 1
        else:
            unchanged += 1
    await session.flush()
    return StaffImportResult(added, updated, unchanged)


def _new_staff(name: str, phone: str, role: StaffRole, area_code: str, now: datetime) -> Staff:
    return Staff(
        name=name,
        phone=phone,
        role=role.value,
        area_code=area_code,
        on_duty=True,
        active=True,
        language="id",
        created_at=now,
    )


async def add_staff(
    session: AsyncSession, name: str, phone: str, role: str, area_code: str, now: datetime
) -> Staff:
    checked = _check_row(0, name, phone, role, area_code, await _areas(session))
    if isinstance(checked, list):
        raise StaffError("; ".join(p.reason for p in checked))
    staff = await session.scalar(select(Staff).where(Staff.phone == checked.phone))
    if staff is None:
        staff = _new_staff(checked.name, checked.phone, checked.role, checked.area_code, now)
        session.add(staff)
    else:
        staff.name, staff.role, staff.area_code, staff.active = (
            checked.name,
            checked.role.value,
            checked.area_code,
            True,
        )
    await session.flush()
    return staff


async def set_backup(session: AsyncSession, phone: str, backup_phone: str) -> Staff:
    staff = await find_by_phone(session, phone)
    backup = await find_by_phone(session, backup_phone)
    if staff is None or backup is None:
        raise StaffError("both the cadre and the backup must be registered staff")
    if backup.id == staff.id or backup.area_code != staff.area_code or backup.role != staff.role:
        raise StaffError("a backup must be another cadre of the same kelurahan")
    staff.backup_id = backup.id
    return staff


async def find_by_phone(session: AsyncSession, phone: str) -> Staff | None:
    e164 = normalise_phone(phone)
    if e164 is None:
        return None
    return await session.scalar(select(Staff).where(Staff.phone == e164, Staff.active.is_(True)))


async def list_staff(session: AsyncSession, area_code: str | None = None) -> list[Staff]:
    query = select(Staff).order_by(Staff.area_code, Staff.role, Staff.name)
    if area_code:
        query = query.where((Staff.area_code == area_code) | Staff.area_code.like(area_code + ".%"))
    return list((await session.scalars(query)).all())


def hash_invite(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def create_invite(session: AsyncSession, phone: str, now: datetime) -> tuple[Staff, str]:
    """A one-time code that links the chat account that sends it to this staff member."""
    staff = await find_by_phone(session, phone)
    if staff is None:
        raise StaffError(f"no active staff member with phone {phone}")
    code = secrets.token_hex(5).upper()
    staff.invite_code_hash = hash_invite(code)
    staff.invite_expires_at = now + INVITE_TTL
    return staff, code


async def redeem_invite(session: AsyncSession, code: str, now: datetime) -> Staff | None:
    """The staff member whose unexpired code this is; the code is used up."""
    staff = await session.scalar(select(Staff).where(Staff.invite_code_hash == hash_invite(code)))
    if staff is None or staff.invite_expires_at is None or staff.invite_expires_at < now:
        return None
    staff.invite_code_hash = None
    staff.invite_expires_at = None
    return staff
