"""What coordinators and the Dinas do to a case in their area: reassign it, close it, reopen it,
settle a possible duplicate. As bot/casework/actions.py: one call = one change + its event + its
messages; permission from the database; the caller owns the transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases import duplicates, routing
from bot.cases.action_table import Action, apply_action
from bot.cases.authz import require
from bot.cases.deadlines import refresh_deadline
from bot.cases.lifecycle import InvalidTarget, WrongState
from bot.cases.notify import notify_staff
from bot.casework.actions import expect_status, permit
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Reply
from models import Case, CaseStatus, Staff, StaffRole

S = CaseStatus


async def reassign_candidates(session: AsyncSession, case: Case) -> list[Staff]:
    """Cadres of the case's kelurahan, then of its kecamatan, then its coordinators."""
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.active.is_(True),
            Staff.role.in_([StaffRole.KADER, StaffRole.KOORDINATOR]),
            (Staff.area_code == case.kecamatan_code)
            | Staff.area_code.like(case.kecamatan_code + ".%"),
        )
        .order_by(Staff.name, Staff.id)
    )
    people = [s for s in rows.all() if s.id != case.assignee_id]

    def rank(s: Staff) -> int:
        if s.role == StaffRole.KOORDINATOR:
            return 2
        return 0 if s.area_code == case.kelurahan_code else 1

    return sorted(people, key=rank)


async def reassign(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    target_id: int,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> Staff:
    actor = permit(session, staff, case, Action.REASSIGN, now, channel)
    target = await session.get(Staff, target_id)
    if target is None or target.id not in {s.id for s in await reassign_candidates(session, case)}:
        raise InvalidTarget(case.reference)
    previous = await session.get(Staff, case.assignee_id) if case.assignee_id else None
    await routing.reassign(session, case, target, now, settings, actor=actor)
    if previous is not None and previous.id != (staff.id if staff else None):
        t = Translator(previous.language)
        await notify_staff(
            session,
            previous,
            Reply(
                text=t("Kasus {ref} dialihkan ke petugas lain. Terima kasih.", ref=case.reference)
            ),
            now,
            kind="reassigned_away",
            case=case,
            dedupe_key=f"away:{case.id}:{previous.id}:v{case.version}",
            tell_superior=False,
        )
    return target


async def close(
    session: AsyncSession, case: Case, staff: Staff | None, now: datetime, channel: str | None
) -> None:
    actor = permit(session, staff, case, Action.CLOSE, now, channel)
    apply_action(session, case, Action.CLOSE, actor, now)


async def reopen(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    settings: Settings,
    channel: str | None,
) -> None:
    actor = permit(session, staff, case, Action.REOPEN, now, channel)
    apply_action(session, case, Action.REOPEN, actor, now)
    refresh_deadline(case, now, settings)


async def settle_duplicate(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    same: bool,
    now: datetime,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.DUPLICATE, now, channel)
    if case.duplicate_of_id is None:
        raise WrongState(case.reference, case.status)
    if same:
        expect_status(case, Action.DUPLICATE)
        duplicates.confirm_duplicate(session, case, actor, now)
    else:
        duplicates.dismiss_duplicate(session, case, actor, now)
