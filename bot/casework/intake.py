"""Cases staff record themselves (issue 18): created already theirs, their source counted apart.

A cadre who meets a case in the field records it in chat. The case is created like a resident's
(bot/casework/creation.py `create_case`: reference, PIN, `created` event, evidence), then, instead of
routing, given to the person who recorded it and accepted at once (`assigned` and `accepted`
events, reason `recorded_by_staff`), so its update and resolution deadlines and the escalation
ladder run from now as for any accepted case. A coordinator may pick one of the kelurahan's
cadres instead (least-loaded on duty first): that cadre is offered the case as usual. An
emergency alerts the coordinator and the Dinas at once; duplicate detection runs as for any case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.deadlines import refresh_deadline
from bot.cases.duplicates import link_possible_duplicate
from bot.cases.lifecycle import Actor, transition
from bot.cases.routing import (
    Candidate,
    alert_darurat,
    assign,
    kaders_on_duty,
    open_case_counts,
    rank_kaders,
)
from bot.casework.creation import create_case
from bot.core.settings import Settings
from models import Case, CasePriority, CaseSource, CaseStatus, Staff, StaffRole

# Who records cases in chat; the Dinas and admins report as anyone does.
INTAKE_ROLES = frozenset({StaffRole.KADER, StaffRole.KOORDINATOR})
REASON = "recorded_by_staff"
MAX_NAME = 80
MAX_PHONE = 32


def may_record(staff: Staff | None) -> bool:
    return staff is not None and staff.active and staff.role in INTAKE_ROLES


def source_fields(draft: dict[str, Any]) -> dict[str, Any]:
    """The columns of a recorded case that a resident's report has no answer for."""
    name = str(draft.get("src_name") or "").strip()[:MAX_NAME]
    phone = str(draft.get("src_phone") or "").strip()[:MAX_PHONE]
    contact = {k: v for k, v in (("name", name), ("phone", phone)) if v}
    consent = draft.get("consent")
    return {
        "source": CaseSource.DICATAT_KADER,
        "source_teller": draft.get("teller"),
        "source_means": draft.get("means"),
        "source_consent": None if consent is None else consent == "y",
        "source_contact": contact or None,
        "victim_disability": draft.get("disab"),
        "reporter_role": None,
    }


@dataclass(frozen=True)
class CadreChoice:
    staff: Staff
    open_cases: int


async def cadre_choices(session: AsyncSession, kelurahan_code: str) -> list[CadreChoice]:
    """The kelurahan's cadres on duty, the one routing would pick first (least-loaded) first."""
    ranked = await rank_kaders(session, await kaders_on_duty(session, kelurahan_code))
    counts = await open_case_counts(session, [k.id for k in ranked])
    return [CadreChoice(k, counts.get(k.id, 0)) for k in ranked]


def take_on(
    session: AsyncSession, case: Case, staff: Staff, actor: Actor, now: datetime, settings: Settings
) -> None:
    """The recorder holds the case, accepted: no offer, no accept/decline round trip."""
    transition(
        session,
        case,
        CaseStatus.DITUGASKAN,
        actor,
        now,
        kind="assigned",
        data={"staff_id": staff.id, "role": staff.role, "reason": REASON},
    )
    case.assignee_id = staff.id
    case.assigned_at = now
    staff.last_assigned_at = now
    transition(
        session, case, CaseStatus.DITERIMA, actor, now, kind="accepted", data={"reason": REASON}
    )
    refresh_deadline(case, now, settings)


async def record_case(
    session: AsyncSession,
    draft: dict[str, Any],
    staff: Staff,
    *,
    assignee: Staff | None,
    channel: str,
    chat_id: str,
    user_id: str,
    submission_key: str,
    now: datetime,
    settings: Settings,
    language: str,
) -> tuple[Case, str]:
    """The recorded case and the PIN for its source; once however often it is submitted."""
    actor = Actor(kind="staff", staff_id=staff.id, channel=channel)
    case, pin, created = await create_case(
        session,
        draft,
        actor=actor,
        channel=channel,
        reporter_user_id=user_id,
        chat_id=chat_id,
        submission_key=submission_key,
        now=now,
        settings=settings,
        language=language,
        fields=source_fields(draft),
    )
    if not created:
        return case, pin
    if assignee is not None and assignee.id != staff.id:
        # Checked here, not trusted from the button: a coordinator's pick among the cadres.
        allowed = {c.staff.id for c in await cadre_choices(session, case.kelurahan_code)}
        if staff.role != StaffRole.KOORDINATOR or assignee.id not in allowed:
            assignee = None
    if assignee is None or assignee.id == staff.id:
        take_on(session, case, staff, actor, now, settings)
    else:
        await assign(
            session, case, Candidate(assignee, "chosen_by_recorder"), now, settings, actor=actor
        )
    await session.flush()
    if case.priority == CasePriority.DARURAT:
        await alert_darurat(session, case, now)
    await link_possible_duplicate(session, case, now)
    return case, pin
