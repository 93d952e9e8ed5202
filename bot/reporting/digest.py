"""Morning digests: what is open and overdue, for the people who oversee it.

Every morning (`digest_time`, deployment zone) each kecamatan coordinator gets their
kecamatan's digest and each Dinas officer the whole city's: new since yesterday, open by status,
cases not yet accepted and cases past their deadline (reference, kelurahan, days open,
assignee's name). Cadres with open cases get a short reminder of theirs. On
`digest_chart_weekday` the Dinas also gets a chart (bot/reporting/digest_chart.py).

Never in a digest: victim details, description, location detail, reporter. Each message has
the dedupe key `digest:<staff_id>:<local date>` (`chart:...` for the chart), so running the job
twice a day, or in two instances at once, sends each person one digest.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.notify import notify_staff
from bot.cases.texts import status_label
from bot.casework.followup import followup_digest_line
from bot.core.app import App
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Reply
from bot.reporting.digest_chart import chart_reply
from bot.reporting.digest_queries import (
    MAX_LISTED,
    ListedCase,
    ScopeCounts,
    counts_per_kecamatan,
    held_cases,
    open_per_assignee,
    overdue_cases,
    scope_counts,
    unaccepted_cases,
)
from bot.reporting.stats import new_by_source_lines
from models import Area, OutboxMessage, Staff, StaffRole
from models.case import OPEN_STATUSES

log = logging.getLogger(__name__)

__all__ = ["MAX_LISTED", "DigestData", "DigestResult", "digest_text_for", "run_digests"]


@dataclass
class DigestResult:
    digests: int = 0
    reminders: int = 0
    charts: int = 0
    skipped: int = 0
    staff_ids: list[int] = field(default_factory=list)


def local_date_key(now: datetime, settings: Settings) -> str:
    return now.astimezone(settings.zone).date().isoformat()


class DigestData:
    """The counts and lists the digests of one moment are made of, read once and shared.

    `run_digests` preloads the counts of every kecamatan (two GROUP BY queries: open cases by
    status with the overdue among them, and new since yesterday; the city is their sum) and of
    every cadre (one GROUP BY assignee), and each scope's lists are read once however many
    people get that scope. Not preloaded (`/ringkasan`), the counts are read for the one scope.
    """

    def __init__(self, now: datetime) -> None:
        self.now = now
        self._per_kecamatan: dict[str, ScopeCounts] | None = None
        self._per_assignee: dict[int, int] | None = None
        self._lists: dict[str | None, tuple[list[ListedCase], list[ListedCase]]] = {}

    async def preload(self, session: AsyncSession) -> None:
        self._per_kecamatan = await counts_per_kecamatan(session, self.now)
        self._per_assignee = await open_per_assignee(session)

    async def counts(self, session: AsyncSession, kecamatan_code: str | None) -> ScopeCounts:
        per_kecamatan = self._per_kecamatan
        if per_kecamatan is None:
            per_kecamatan = await counts_per_kecamatan(session, self.now, kecamatan_code)
        return scope_counts(per_kecamatan, kecamatan_code)

    async def lists(
        self, session: AsyncSession, kecamatan_code: str | None
    ) -> tuple[list[ListedCase], list[ListedCase]]:
        """(not yet accepted, past deadline), the oldest MAX_LISTED of each."""
        if kecamatan_code not in self._lists:
            self._lists[kecamatan_code] = (
                await unaccepted_cases(session, kecamatan_code),
                await overdue_cases(session, self.now, kecamatan_code),
            )
        return self._lists[kecamatan_code]

    async def held_count(self, session: AsyncSession, staff_id: int) -> int:
        per_assignee = self._per_assignee
        if per_assignee is None:
            per_assignee = await open_per_assignee(session, [staff_id])
        return per_assignee.get(staff_id, 0)


async def scope_digest_text(
    session: AsyncSession,
    t: Translator,
    data: DigestData,
    settings: Settings,
    *,
    kecamatan_code: str | None,
    title: str,
) -> str:
    now = data.now
    counts = await data.counts(session, kecamatan_code)
    local = now.astimezone(settings.zone)
    lines = [title, t("Tanggal: {date}", date=local.strftime("%d-%m-%Y")), ""]
    lines.append(t("Laporan baru sejak kemarin: {n}", n=counts.new))
    lines += new_by_source_lines(t, counts.new_by_source)
    lines.append(t("Kasus terbuka: {n}", n=counts.open))
    for status in OPEN_STATUSES:
        if counts.by_status.get(status):
            lines.append(f"  - {status_label(t, status)}: {counts.by_status[status]}")
    if not counts.unaccepted and not counts.overdue:
        return "\n".join(lines)

    def line(case: ListedCase) -> str:
        return t(
            "  - {ref}, {kelurahan}, {days} hari, {who}",
            ref=case.reference,
            kelurahan=case.kelurahan,
            days=max(0, (now - case.created_at).days),
            who=case.assignee or t("belum ada petugas"),
        )

    unaccepted, overdue = await data.lists(session, kecamatan_code)
    for heading, total, listed in (
        (t("Belum diterima:"), counts.unaccepted, unaccepted),
        (t("Lewat batas waktu:"), counts.overdue, overdue),
    ):
        if not total:
            continue
        lines += ["", f"{heading} {total}"]
        lines += [line(c) for c in listed]
        if total > MAX_LISTED:
            lines.append(t("  … dan {n} lainnya", n=total - MAX_LISTED))
    return "\n".join(lines)


async def cadre_reminder_text(
    session: AsyncSession, staff: Staff, t: Translator, data: DigestData
) -> str | None:
    total = await data.held_count(session, staff.id)
    if not total:
        return None
    lines = [
        t(
            "Selamat pagi, {name}. Kasus terbuka yang Anda pegang: {n}",
            name=staff.name,
            n=total,
        )
    ]
    for case in await held_cases(session, staff.id):
        lines.append(
            t(
                "  - {ref}: {status}, {days} hari",
                ref=case.reference,
                status=status_label(t, case.status),
                days=max(0, (data.now - case.created_at).days),
            )
        )
    lines.append(t("Ketik /kasus untuk melihat dan memperbarui kasus Anda."))
    return "\n".join(lines)


async def digest_text_for(
    session: AsyncSession,
    staff: Staff,
    now: datetime,
    settings: Settings,
    data: DigestData | None = None,
) -> str:
    """The digest this staff member would get now (for `/ringkasan` too).

    `data`, when given (run_digests shares one among all recipients), is read at its own `now`.
    """
    if data is None:
        data = DigestData(now)
    t = Translator(staff.language)
    if staff.role == StaffRole.KOORDINATOR:
        area = await session.get(Area, staff.area_code)
        title = t("Ringkasan harian Kecamatan {name}", name=area.name if area else staff.area_code)
        return await scope_digest_text(
            session, t, data, settings, kecamatan_code=staff.area_code, title=title
        )
    if staff.role in (StaffRole.DINAS, StaffRole.ADMIN):
        area = await session.get(Area, staff.area_code)
        title = t("Ringkasan harian {name}", name=area.name if area else staff.area_code)
        whole = await scope_digest_text(
            session, t, data, settings, kecamatan_code=None, title=title
        )
        return whole + await followup_digest_line(session, t, data.now)
    text = await cadre_reminder_text(session, staff, t, data)
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
    data = DigestData(now)
    async with app.db.transaction() as session:
        staff_ids = [s.id for s in await _recipients(session)]
        await data.preload(session)
    for staff_id in staff_ids:
        try:
            async with app.db.transaction() as session:
                await _one(session, staff_id, data, settings, day, chart_day, result)
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
    data: DigestData,
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
    now = data.now
    t = Translator(staff.language)
    if staff.role == StaffRole.KADER:
        text = await cadre_reminder_text(session, staff, t, data)
        if text is None:
            return
        if await notify_staff(
            session, staff, Reply(text=text), now, kind="reminder", dedupe_key=key
        ):
            result.reminders += 1
            result.staff_ids.append(staff.id)
        return
    text = await digest_text_for(session, staff, now, settings, data)
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
