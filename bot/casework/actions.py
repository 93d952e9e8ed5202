"""What staff do to a case, as services: one call = one state change + its event + its messages.

Every function takes the acting staff member (None for someone who is not staff), checks the
permission from the database (`bot.cases.authz`), and raises a `CaseError` when it refuses; a refusal
changes nothing but the `access_denied` event. The caller owns the transaction.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import routing
from bot.cases.action_table import Action, apply_action, status_allows
from bot.cases.authz import AccessDenied, deny, require
from bot.cases.buttons import CaseVerb, case_button
from bot.cases.deadlines import refresh_deadline
from bot.cases.lifecycle import Actor, CaseNotFound, WrongState
from bot.cases.notify import dinas_staff, notify_reporter, notify_staff
from bot.cases.routing import kelurahan_name
from bot.cases.texts import detail_text
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Option, Reply
from models import Case, CaseStatus, Staff

log = logging.getLogger(__name__)

S = CaseStatus
MAX_TEXT = 2000


async def load_case(session: AsyncSession, case_id: int) -> Case:
    case = await session.get(Case, case_id)
    if case is None:
        raise CaseNotFound(case_id)
    return case


def expect_status(case: Case, action: Action) -> None:
    """WrongState unless the case's status allows the action (bot/cases/action_table.py)."""
    if not status_allows(action, case):
        raise WrongState(case.reference, case.status)


def permit(
    session: AsyncSession,
    staff: Staff | None,
    case: Case,
    action: Action,
    now: datetime,
    channel: str | None,
) -> Actor:
    """The actor, when this person may take `action` and the case's status allows it; else
    AccessDenied (the attempt recorded) or WrongState."""
    actor = require(session, staff, case, action, now, channel)
    expect_status(case, action)
    return actor


def _clean(text: str) -> str:
    return text.strip()[:MAX_TEXT]


async def view_details(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    channel: str | None,
    *,
    language: str | None = None,
) -> str:
    """The full case text for someone allowed to see it; the view is an audit event."""
    actor = require(session, staff, case, Action.VIEW, now, channel)
    if case.status == S.DITUGASKAN and staff is not None and case.assignee_id == staff.id:
        # The offered cadre sees the details only once they take the case.
        raise WrongState(case.reference, case.status)
    apply_action(session, case, Action.VIEW, actor, now)
    language = language or (staff.language if staff is not None else None)
    return detail_text(Translator(language), case, now, await kelurahan_name(session, case))


async def accept(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = permit(session, staff, case, Action.ACCEPT, now, channel)
    apply_action(session, case, Action.ACCEPT, actor, now)
    refresh_deadline(case, now, settings)
    t = Translator(case.language)
    notify_reporter(
        session,
        case,
        Reply(
            text=t(
                "Laporan {ref} sudah diterima oleh kader PATBM di wilayah Anda. Terima kasih "
                "sudah melapor. Kader mungkin mengirim pertanyaan melalui bot ini; nomor Anda "
                "tidak diberikan kepada siapa pun.",
                ref=case.reference,
            )
        ),
        now,
        kind="reporter_update",
        dedupe_key=f"accepted:{case.id}:{case.assignee_id}:v{case.version}",
    )


async def decline(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    reason: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> Staff | None:
    """The offered person declines (with a reason); the case moves on. Returns the next person."""
    actor = permit(session, staff, case, Action.DECLINE, now, channel)
    apply_action(
        session,
        case,
        Action.DECLINE,
        actor,
        now,
        data={"staff_id": case.assignee_id},
        note=_clean(reason) or None,
    )
    return await routing.route_to_next(session, case, now, settings, "declined", actor=actor)


async def add_note(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    text: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = permit(session, staff, case, Action.NOTE, now, channel)
    apply_action(session, case, Action.NOTE, actor, now, note=_clean(text))
    case.updated_at = now
    refresh_deadline(case, now, settings)


async def mark_handling(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = permit(session, staff, case, Action.HANDLE, now, channel)
    apply_action(session, case, Action.HANDLE, actor, now)
    refresh_deadline(case, now, settings)


async def resolve(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    outcome: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = permit(session, staff, case, Action.RESOLVE, now, channel)
    apply_action(session, case, Action.RESOLVE, actor, now, note=_clean(outcome))
    case.outcome = _clean(outcome)
    t = Translator(case.language)
    notify_reporter(
        session,
        case,
        Reply(
            text=t(
                "Laporan {ref} sudah selesai ditangani oleh kader PATBM. Terima kasih atas "
                "kepedulian Anda. Jika masih ada bahaya, segera hubungi 112 atau SAPA 129.",
                ref=case.reference,
            )
        ),
        now,
        kind="reporter_update",
        dedupe_key=f"resolved:{case.id}:v{case.version}",
    )


async def refer(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    reason: str,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    """Refer to the city office (Dinas PPPA / UPTD PPA): they are told at once."""
    actor = permit(session, staff, case, Action.REFER, now, channel)
    apply_action(session, case, Action.REFER, actor, now, note=_clean(reason))
    refresh_deadline(case, now, settings)
    name = await kelurahan_name(session, case)
    for officer in await dinas_staff(session):
        t = Translator(officer.language)
        await notify_staff(
            session,
            officer,
            Reply(
                text=t(
                    "Kasus {ref} (kelurahan {kelurahan}) dirujuk ke Dinas. Buka kasus untuk "
                    "melihat rincian dan alasannya.",
                    ref=case.reference,
                    kelurahan=name,
                ),
                options=(Option(case_button(CaseVerb.SHOW, case.id), t("Lihat kasus")),),
            ),
            now,
            kind="referral",
            case=case,
            dedupe_key=f"referral:{case.id}:{officer.id}:v{case.version}",
            tell_superior=False,
        )


def set_on_duty(staff: Staff, on_duty: bool) -> None:
    staff.on_duty = on_duty
    log.info("staff %s on duty: %s", staff.id, on_duty)


def refuse_unknown_actor(
    session: AsyncSession, case: Case, channel: str | None, action: str, now: datetime
) -> AccessDenied:
    """For handlers: someone who is not staff pressed a staff button on a real case."""
    return deny(session, case, Actor(kind="resident", channel=channel), action, now)
