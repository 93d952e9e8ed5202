"""The messages of the escalation ladder (bot/escalation/ladder.py decides when; this says what, to whom).

Texts carry the case reference, the kelurahan and counts, never victim or reporter details.
Every notice writes its case event in the same transaction; dedupe keys turn a repeated notice
into an error instead of a second message.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.buttons import CaseVerb, case_button
from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import dinas_staff, notify_staff
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.escalation import steps
from bot.messaging.messages import Option, Reply
from models import Area, Case, CasePriority, Staff

log = logging.getLogger(__name__)


def record(session: AsyncSession, case: Case, event: steps.Event, now: datetime) -> None:
    """A ladder step's event, written by the system in the caller's transaction."""
    record_event(session, case, event.kind, Actor.system(), now, data=event.data)


async def _kelurahan_name(session: AsyncSession, case: Case) -> str:
    area = await session.get(Area, case.kelurahan_code)
    return area.name if area is not None else case.kelurahan_code


def _case_button(t: Translator, case_id: int) -> tuple[Option, ...]:
    return (Option(case_button(CaseVerb.SHOW, case_id), t("Lihat kasus")),)


def update_reminder_reply(
    t: Translator, case_id: int, ref: str, kelurahan: str, settings: Settings
) -> Reply:
    text = t(
        "Pengingat: kasus {ref} ({kelurahan}) belum ada kabar terbaru selama {days} hari kerja. "
        "Mohon tambahkan catatan atau perbarui statusnya.",
        ref=ref,
        kelurahan=kelurahan,
        days=settings.remind_update_days,
    )
    return Reply(text=text, options=_case_button(t, case_id))


def dinas_escalation_reply(
    t: Translator,
    case_id: int,
    ref: str,
    kelurahan: str,
    *,
    darurat: bool,
    days_open: int,
    settings: Settings,
) -> Reply:
    if darurat:
        text = t(
            "Eskalasi: kasus DARURAT {ref} ({kelurahan}) belum selesai setelah {days} hari. "
            "Mohon Dinas menindaklanjuti.",
            ref=ref,
            kelurahan=kelurahan,
            days=days_open,
        )
    else:
        text = t(
            "Eskalasi: kasus {ref} ({kelurahan}) belum selesai dalam {limit} hari kerja "
            "(terbuka {days} hari). Mohon Dinas menindaklanjuti.",
            ref=ref,
            kelurahan=kelurahan,
            limit=settings.escalate_resolve_days,
            days=days_open,
        )
    return Reply(text=text, options=_case_button(t, case_id))


def referral_reminder_reply(
    t: Translator, case_id: int, ref: str, kelurahan: str, settings: Settings
) -> Reply:
    text = t(
        "Pengingat: kasus {ref} ({kelurahan}) dirujuk ke Dinas dan belum ada tindak lanjut "
        "selama {days} hari kerja.",
        ref=ref,
        kelurahan=kelurahan,
        days=settings.remind_referral_days,
    )
    return Reply(text=text, options=_case_button(t, case_id))


async def _notify_once(
    session: AsyncSession,
    staff: Staff,
    case: Case,
    reply: Reply,
    now: datetime,
    *,
    kind: str,
    dedupe_prefix: str,
) -> None:
    # The row lock makes this once; the unique dedupe key turns a bug into an error, not a double.
    await notify_staff(session, staff, reply, now, kind=kind, case=case, dedupe_key=dedupe_prefix)


async def _dinas(session: AsyncSession) -> list[Staff]:
    """The Dinas officers, looked up once per sweep transaction."""
    cached = session.info.get("escalation_dinas")
    if cached is None:
        cached = session.info["escalation_dinas"] = await dinas_staff(session)
    return list(cached)


async def remind_assignee(
    session: AsyncSession, case: Case, now: datetime, settings: Settings
) -> None:
    record(session, case, steps.update_reminder(case, now), now)
    staff = await session.get(Staff, case.assignee_id) if case.assignee_id else None
    if staff is None:
        return
    t = Translator(staff.language)
    kelurahan = await _kelurahan_name(session, case)
    await _notify_once(
        session,
        staff,
        case,
        update_reminder_reply(t, case.id, case.reference, kelurahan, settings),
        now,
        kind="reminder",
        dedupe_prefix=steps.remind_key(case.id, now, staff.id),
    )


def unroutable_reply(t: Translator, case_id: int, ref: str, kelurahan: str) -> Reply:
    text = t(
        "Kasus {ref} ({kelurahan}) belum dapat diteruskan: tidak ada kader, koordinator, atau "
        "petugas Dinas yang aktif untuk wilayah ini. Sistem akan terus mencoba. "
        "Mohon Dinas menindaklanjuti.",
        ref=ref,
        kelurahan=kelurahan,
    )
    return Reply(text=text, options=_case_button(t, case_id))


async def escalate_to_dinas(
    session: AsyncSession,
    case: Case,
    now: datetime,
    settings: Settings,
    level: int,
    *,
    rule: str = "resolve_timeout",
) -> None:
    """Tell the Dinas: a case not resolved in time, or (`rule="unroutable"`) one nobody has."""
    record(session, case, steps.dinas_escalation(case, level, rule), now)
    log.info("case %s escalated to the Dinas (%s)", case.reference, rule)
    kelurahan = await _kelurahan_name(session, case)
    days_open = max(0, (now - case.created_at).days)
    for staff in await _dinas(session):
        t = Translator(staff.language)
        reply = (
            unroutable_reply(t, case.id, case.reference, kelurahan)
            if rule == "unroutable"
            else dinas_escalation_reply(
                t,
                case.id,
                case.reference,
                kelurahan,
                darurat=case.priority == CasePriority.DARURAT,
                days_open=days_open,
                settings=settings,
            )
        )
        await _notify_once(
            session,
            staff,
            case,
            reply,
            now,
            kind="escalation",
            dedupe_prefix=steps.dinas_key(case.id, staff.id),
        )


async def remind_dinas_referral(
    session: AsyncSession, case: Case, now: datetime, settings: Settings
) -> None:
    record(session, case, steps.referral_reminder(case, now), now)
    kelurahan = await _kelurahan_name(session, case)
    for staff in await _dinas(session):
        t = Translator(staff.language)
        await _notify_once(
            session,
            staff,
            case,
            referral_reminder_reply(t, case.id, case.reference, kelurahan, settings),
            now,
            kind="reminder",
            dedupe_prefix=steps.referral_key(case.id, now, staff.id),
        )
