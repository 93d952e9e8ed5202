"""The digest texts by their plain definition, for comparison with bot/reporting/digest.py.

This is the first implementation of the digests: load every open case of the scope as an ORM
object and count, filter and list in Python. It costs O(open cases), which is why bot/reporting/digest.py
now asks the database for counts and LIMITed lists instead; tests/reporting/test_digest_text.py checks
that both give the same text, character for character.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.deadlines import LEVEL_DINAS
from bot.cases.texts import status_label
from bot.cases.vocabulary import CATEGORIES
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.reporting.digest import MAX_LISTED
from models import Area, AreaLevel, Case, CaseStatus, Staff, StaffRole
from models.case import OPEN_STATUSES

_UNACCEPTED = (CaseStatus.BARU, CaseStatus.DITUGASKAN)


def _is_overdue(case: Case, now: datetime) -> bool:
    if case.status in _UNACCEPTED:
        return False
    return case.escalation_level >= LEVEL_DINAS or (case.due_at is not None and case.due_at <= now)


async def _open_cases(session: AsyncSession, *conditions: object) -> list[Case]:
    query = select(Case).where(Case.status.in_(list(OPEN_STATUSES)), *conditions)  # type: ignore[arg-type]
    return list((await session.scalars(query.order_by(Case.created_at, Case.id))).all())


async def scope_text(
    session: AsyncSession,
    t: Translator,
    now: datetime,
    settings: Settings,
    *,
    kecamatan_code: str | None,
    title: str,
) -> str:
    scope = [] if kecamatan_code is None else [Case.kecamatan_code == kecamatan_code]
    cases = await _open_cases(session, *scope)
    new_ids = await session.scalars(
        select(Case.id).where(Case.created_at >= now - timedelta(days=1), *scope)
    )
    new = len(new_ids.all())
    areas = {a.code: a.name for a in (await session.scalars(select(Area))).all()}
    staff = {s.id: s.name for s in (await session.scalars(select(Staff))).all()}
    by_status = Counter(c.status for c in cases)
    local = now.astimezone(settings.zone)
    lines = [title, t("Tanggal: {date}", date=local.strftime("%d-%m-%Y")), ""]
    lines.append(t("Laporan baru sejak kemarin: {n}", n=new))
    lines.append(t("Kasus terbuka: {n}", n=len(cases)))
    for status in OPEN_STATUSES:
        if by_status.get(status):
            lines.append(f"  - {status_label(t, status)}: {by_status[status]}")

    def line(case: Case) -> str:
        who = staff.get(case.assignee_id) if case.assignee_id else None
        return t(
            "  - {ref}, {kelurahan}, {days} hari, {who}",
            ref=case.reference,
            kelurahan=areas.get(case.kelurahan_code, case.kelurahan_code),
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


async def cadre_text(
    session: AsyncSession, staff: Staff, t: Translator, now: datetime
) -> str | None:
    cases = await _open_cases(session, Case.assignee_id == staff.id)
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


async def text_for(session: AsyncSession, staff: Staff, now: datetime, settings: Settings) -> str:
    t = Translator(staff.language)
    if staff.role in (StaffRole.KOORDINATOR, StaffRole.DINAS, StaffRole.ADMIN):
        area = await session.get(Area, staff.area_code)
        name = area.name if area else staff.area_code
        if staff.role == StaffRole.KOORDINATOR:
            title = t("Ringkasan harian Kecamatan {name}", name=name)
            code: str | None = staff.area_code
        else:
            title, code = t("Ringkasan harian {name}", name=name), None
        return await scope_text(session, t, now, settings, kecamatan_code=code, title=title)
    text = await cadre_text(session, staff, t, now)
    return text or t("Tidak ada kasus terbuka yang Anda pegang. Terima kasih!")


async def chart_data(
    session: AsyncSession, now: datetime
) -> tuple[list[tuple[str, int]], list[tuple[str, int]]]:
    since = now - timedelta(days=7)
    cases = (await session.scalars(select(Case).where(Case.created_at >= since))).all()
    kecamatan = (
        await session.scalars(
            select(Area).where(Area.level == AreaLevel.KECAMATAN).order_by(Area.name)
        )
    ).all()
    per_kec = Counter(c.kecamatan_code for c in cases)
    per_kecamatan = [(area.name, per_kec.get(area.code, 0)) for area in kecamatan]
    per_cat: Counter[str] = Counter()
    for case in cases:
        per_cat.update(CATEGORIES.label(Translator("id"), str(c)) for c in case.categories or [])
    return per_kecamatan, sorted(per_cat.items(), key=lambda item: (-item[1], item[0]))
