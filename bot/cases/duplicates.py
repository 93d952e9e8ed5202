"""Possible duplicates: a new report that matches an open one is linked, never merged silently.

A match: same kelurahan, reported within 3 days, same victim age group and sex, at least one
category in common, still open. The new case gets `duplicate_of_id`, a `possible_duplicate`
event, and its assignee is asked to confirm (the new case is cancelled as a duplicate) or
dismiss (the link is removed).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.action_table import Action, apply_action
from bot.cases.buttons import CaseVerb, case_button
from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import notify_staff
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from models import Case, Staff
from models.case import OPEN_STATUSES

WINDOW = timedelta(days=3)


async def find_possible_duplicate(session: AsyncSession, case: Case) -> Case | None:
    if not case.victim_age_group or not case.victim_sex or not case.categories:
        return None
    rows = await session.scalars(
        select(Case)
        .where(
            Case.kelurahan_code == case.kelurahan_code,
            Case.created_at >= case.created_at - WINDOW,
            Case.id != case.id,
            Case.status.in_(list(OPEN_STATUSES)),
            Case.victim_age_group == case.victim_age_group,
            Case.victim_sex == case.victim_sex,
        )
        .order_by(Case.created_at.desc())
    )
    categories = set(case.categories)
    for other in rows.all():
        if other.duplicate_of_id is None and categories & set(other.categories or []):
            return other
    return None


async def link_possible_duplicate(session: AsyncSession, case: Case, now: datetime) -> Case | None:
    original = await find_possible_duplicate(session, case)
    if original is None:
        return None
    case.duplicate_of_id = original.id
    record_event(
        session,
        case,
        "possible_duplicate",
        Actor.system(),
        now,
        data={"duplicate_of_id": original.id, "duplicate_of": original.reference},
    )
    if case.assignee_id is not None:
        staff = await session.get(Staff, case.assignee_id)
        if staff is not None:
            await notify_staff(
                session,
                staff,
                confirm_reply(case, original, staff.language),
                now,
                kind="duplicate_check",
                case=case,
                dedupe_key=f"dup:{case.id}:{original.id}:{staff.id}",
            )
    return original


def confirm_reply(case: Case, original: Case, language: str) -> Reply:
    t = Translator(language)
    return Reply(
        text=t(
            "Laporan {ref} mungkin sama dengan laporan {other} yang masih terbuka (kelurahan, "
            "usia dan jenis kelamin korban, serta jenis kekerasan sama). Apakah ini laporan yang "
            "sama?",
            ref=case.reference,
            other=original.reference,
        ),
        options=(
            Option(case_button(CaseVerb.SAME, case.id), t("Ya, sama")),
            Option(case_button(CaseVerb.NOT_SAME, case.id), t("Bukan, berbeda")),
        ),
    )


def confirm_duplicate(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> None:
    """The person responsible says it is the same incident: the new case is cancelled."""
    apply_action(
        session, case, Action.DUPLICATE, actor, now, data={"duplicate_of_id": case.duplicate_of_id}
    )


def dismiss_duplicate(session: AsyncSession, case: Case, actor: Actor, now: datetime) -> None:
    record_event(
        session,
        case,
        "duplicate_dismissed",
        actor,
        now,
        data={"duplicate_of_id": case.duplicate_of_id},
    )
    case.duplicate_of_id = None
    case.updated_at = now
