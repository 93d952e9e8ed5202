"""Morning digests: what is open and overdue, for the people who oversee it.

Every morning (`digest_time`, deployment zone) each kecamatan coordinator gets their
kecamatan's digest and each Dinas officer the whole city's: new since yesterday, open by status,
cases not yet accepted and cases past their deadline (reference, kelurahan, days open,
assignee's name). Cadres with open cases get a short reminder of theirs. On
`digest_chart_weekday` the Dinas also gets a chart (bot/digest_chart.py).

Never in a digest: victim details, description, location detail, reporter. Each message has
the dedupe key `digest:<staff_id>:<local date>` (`chart:...` for the chart), so running the job
twice a day, or in two instances at once, sends each person one digest.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import App
from bot.casetexts import status_label
from bot.digest_chart import chart_reply
from bot.escalation import LEVEL_DINAS
from bot.i18n import Translator
from bot.messages import Reply
from bot.notify import notify_staff
from bot.settings import Settings
from models import Area, Case, CaseStatus, OutboxMessage, Staff, StaffRole
from models.case import OPEN_CASE, OPEN_STATUSES

log = logging.getLogger(__name__)

MAX_LISTED = 25
_UNACCEPTED = (CaseStatus.BARU, CaseStatus.DITUGASKAN)


@dataclass
class DigestResult:
    digests: int = 0
    reminders: int = 0
    charts: int = 0
    skipped: int = 0
    staff_ids: list[int] = field(default_factory=list)


def local_date_key(now: datetime, settings: Settings) -> str:
    return now.astimezone(settings.zone).date().isoformat()


async def _scope_cases(session: AsyncSession, kecamatan_code: str | None) -> list[Case]:
    query = select(Case).where(OPEN_CASE)
    if kecamatan_code is not None:
        query = query.where(Case.kecamatan_code == kecamatan_code)
    return list((await session.scalars(query.order_by(Case.created_at, Case.id))).all())


async def _new_count(session: AsyncSession, kecamatan_code: str | None, since: datetime) -> int:
    query = select(Case.id).where(Case.created_at >= since)
    if kecamatan_code is not None:
        query = query.where(Case.kecamatan_code == kecamatan_code)
    return len((await session.scalars(query)).all())


async def _area_names(session: AsyncSession, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = await session.scalars(select(Area).where(Area.code.in_(list(codes))))
    return {area.code: area.name for area in rows.all()}


async def _staff_names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.scalars(select(Staff).where(Staff.id.in_(list(ids))))
    return {staff.id: staff.name for staff in rows.all()}


def _is_overdue(case: Case, now: datetime) -> bool:
    if case.status in _UNACCEPTED:
        return False
    return case.escalation_level >= LEVEL_DINAS or (case.due_at is not None and case.due_at <= now)


async def scope_digest_text(
    session: AsyncSession,
    t: Translator,
    now: datetime,
    settings: Settings,
    *,
    kecamatan_code: str | None,
    title: str,
) -> str:
    cases = await _scope_cases(session, kecamatan_code)
    new = await _new_count(session, kecamatan_code, now - timedelta(days=1))
    kelurahan = await _area_names(session, {c.kelurahan_code for c in cases})
    assignees = await _staff_names(session, {c.assignee_id for c in cases if c.assignee_id})
    by_status = Counter(c.status for c in cases)
    local = now.astimezone(settings.zone)
    lines = [title, t("Tanggal: {date}", date=local.strftime("%d-%m-%Y")), ""]
    lines.append(t("Laporan baru sejak kemarin: {n}", n=new))
    lines.append(t("Kasus terbuka: {n}", n=len(cases)))
    for status in OPEN_STATUSES:
        if by_status.get(status):
            lines.append(f"  - {status_label(t, status)}: {by_status[status]}")

    def line(case: Case) -> str:
        who = assignees.get(case.assignee_id) if case.assignee_id else None
        return t(
            "  - {ref}, {kelurahan}, {days} hari, {who}",
            ref=case.reference,
            kelurahan=kelurahan.get(case.kelurahan_code, case.kelurahan_code),
            days=max(0, (now - case.created_at).days),
            who=who or t("belum ada petugas"),
        )

    for heading, selected in (
        (t("Belum diterima:"), [c for c in cases if c.status in _UNACCEPTED]),
        (t("Lewat batas waktu:"), [c for c in cases if _is_overdue(c, now)]),
    ):
        if not selected:
            continue
        lines += ["", f"{heading} {len(selected)}"]
        lines += [line(c) for c in selected[:MAX_LISTED]]
        if len(selected) > MAX_LISTED:
            lines.append(t("  … dan {n} lainnya", n=len(selected) - MAX_LISTED))
    return "\n".join(lines)


async def cadre_reminder_text(
    session: AsyncSession, staff: Staff, t: Translator, now: datetime
) -> str | None:
    rows = await session.scalars(
        select(Case)
        .where(Case.assignee_id == staff.id, Case.status.in_(list(OPEN_STATUSES)))
        .order_by(Case.created_at, Case.id)
    )
    cases = list(rows.all())
    if not cases:
        return None
    lines = [
        t(
            "Selamat pagi, {name}. Kasus terbuka yang Anda pegang: {n}",
            name=staff.name,
            n=len(cases),
        )
    ]
    for case in cases[:MAX_LISTED]:
        lines.append(
            t(
                "  - {ref}: {status}, {days} hari",
                ref=case.reference,
                status=status_label(t, case.status),
                days=max(0, (now - case.created_at).days),
            )
        )
    lines.append(t("Ketik /kasus untuk melihat dan memperbarui kasus Anda."))
    return "\n".join(lines)


async def digest_text_for(
    session: AsyncSession, staff: Staff, now: datetime, settings: Settings
) -> str:
    """The digest this staff member would get now (for `/ringkasan` too)."""
    t = Translator(staff.language)
    if staff.role == StaffRole.KOORDINATOR:
        area = await session.get(Area, staff.area_code)
        title = t("Ringkasan harian Kecamatan {name}", name=area.name if area else staff.area_code)
        return await scope_digest_text(
            session, t, now, settings, kecamatan_code=staff.area_code, title=title
        )
    if staff.role in (StaffRole.DINAS, StaffRole.ADMIN):
        area = await session.get(Area, staff.area_code)
        title = t("Ringkasan harian {name}", name=area.name if area else staff.area_code)
        return await scope_digest_text(session, t, now, settings, kecamatan_code=None, title=title)
    text = await cadre_reminder_text(session, staff, t, now)
    return text or t("Tidak ada kasus terbuka yang Anda pegang. Terima kasih!")


async def _recipients(session: AsyncSession) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.active.is_(True),
            Staff.role.in_([StaffRole.KOORDINATOR, StaffRole.DINAS, StaffRole.KADER]),
        )
        .order_by(Staff.id)
    )
    return list(rows.all())


async def _queued(session: AsyncSession, prefix: str) -> bool:
    found = await session.scalar(
        select(OutboxMessage.id).where(OutboxMessage.dedupe_key.like(prefix + ":%")).limit(1)
    )
    return found is not None


async def run_digests(app: App, now: datetime) -> DigestResult:
    """Queue today's digests, reminders and (on the chart day) charts; idempotent per day."""
    settings = app.settings
    day = local_date_key(now, settings)
    chart_day = now.astimezone(settings.zone).weekday() == settings.digest_chart_weekday
    result = DigestResult()
    async with app.db.transaction() as session:
        staff_ids = [s.id for s in await _recipients(session)]
    for staff_id in staff_ids:
        try:
            async with app.db.transaction() as session:
                await _one(session, staff_id, now, settings, day, chart_day, result)
        except IntegrityError:
            # Another instance queued the same digest first: theirs stands.
            result.skipped += 1
    log.info(
        "digests %s: %s digests, %s reminders, %s charts",
        day,
        result.digests,
        result.reminders,
        result.charts,
    )
    return result


async def _one(
    session: AsyncSession,
    staff_id: int,
    now: datetime,
    settings: Settings,
    day: str,
    chart_day: bool,
    result: DigestResult,
) -> None:
    staff = await session.get(Staff, staff_id)
    if staff is None:
        return
    key = f"digest:{staff.id}:{day}"
    if await _queued(session, key):
        result.skipped += 1
        return
    t = Translator(staff.language)
    if staff.role == StaffRole.KADER:
        text = await cadre_reminder_text(session, staff, t, now)
        if text is None:
            return
        if await notify_staff(
            session, staff, Reply(text=text), now, kind="reminder", dedupe_key=key
        ):
            result.reminders += 1
            result.staff_ids.append(staff.id)
        return
    text = await digest_text_for(session, staff, now, settings)
    if await notify_staff(session, staff, Reply(text=text), now, kind="digest", dedupe_key=key):
        result.digests += 1
        result.staff_ids.append(staff.id)
    chart_key = f"chart:{staff.id}:{day}"
    if chart_day and staff.role == StaffRole.DINAS and not await _queued(session, chart_key):
        reply = await chart_reply(session, t, now, settings)
        if await notify_staff(
            session, staff, reply, now, kind="digest_chart", dedupe_key=chart_key
        ):
            result.charts += 1
