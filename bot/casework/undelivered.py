"""What a message that can never be delivered means for its case (called by the outbox worker).

Always: a `delivery_failed` case event (ids and a reason code, no text). For an assignment
that did not reach the cadre (blocked the bot, chat gone): the case moves on to the next person
(`bot.cases.routing.route_to_next`) and the kecamatan coordinator is told, so nobody waits for an
acceptance from someone who never saw the case.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.buttons import CaseVerb, case_button
from bot.cases.deadlines import refresh_deadline
from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import coordinators_of, notify_staff
from bot.cases.routing import route_to_next
from bot.core.i18n import Translator
from bot.core.settings import Settings
from bot.messaging.messages import Option, Reply
from models import Case, CaseStatus, OutboxMessage, Staff

log = logging.getLogger(__name__)


async def handle_permanent_failure(
    session: AsyncSession, row: OutboxMessage, reason: str, now: datetime, settings: Settings
) -> None:
    if row.case_id is None:
        return
    query = select(Case).where(Case.id == row.case_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    case = await session.scalar(query)
    if case is None:
        return
    record_event(
        session,
        case,
        "delivery_failed",
        Actor.system(),
        now,
        data={
            "outbox_id": row.id,
            "purpose": row.kind,
            "staff_id": row.staff_id,
            "reason": reason[:80],
        },
    )
    if not (
        row.kind == "assignment"
        and case.status == CaseStatus.DITUGASKAN
        and row.staff_id is not None
        and case.assignee_id == row.staff_id
    ):
        return
    unreachable = await session.get(Staff, row.staff_id)
    new_assignee = await route_to_next(session, case, now, settings, "delivery_failed")
    refresh_deadline(case, now, settings)
    log.info("case %s: assignment undeliverable, moved on", case.reference)
    for coordinator in await coordinators_of(session, case.kecamatan_code):
        if coordinator.id == row.staff_id:
            continue
        t = Translator(coordinator.language)
        text = t(
            "Pesan penugasan kasus {ref} tidak dapat dikirim kepada {name} (mungkin memblokir "
            "bot atau akunnya tidak aktif).",
            ref=case.reference,
            name=unreachable.name if unreachable else "-",
        )
        if new_assignee is not None:
            text += "\n" + t("Kasus dialihkan kepada {name}.", name=new_assignee.name)
        else:
            text += "\n" + t("Tidak ada petugas lain yang tersedia: mohon tangani kasus ini.")
        await notify_staff(
            session,
            coordinator,
            Reply(
                text=text, options=(Option(case_button(CaseVerb.SHOW, case.id), t("Lihat kasus")),)
            ),
            now,
            kind="delivery_failure",
            case=case,
            dedupe_key=f"delivfail:{row.id}:{coordinator.id}",
            tell_superior=False,
        )
