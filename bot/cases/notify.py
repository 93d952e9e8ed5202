"""Messages to staff and to reporters, queued in the caller's transaction.

Staff are reached on every chat account linked to them; a staff member with none is recorded
as `undeliverable` on the case and, where someone above them exists, that person is told.
Reporters are reached only when they agreed to be contacted, and only through the bot.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.buttons import CaseVerb, case_button
from bot.cases.lifecycle import Actor, record_event
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from bot.messaging.outbox import enqueue
from models import Case, ChatIdentity, Staff, StaffRole

log = logging.getLogger(__name__)


async def identities_of(session: AsyncSession, staff_id: int) -> list[ChatIdentity]:
    rows = await session.scalars(
        select(ChatIdentity).where(ChatIdentity.staff_id == staff_id).order_by(ChatIdentity.id)
    )
    return list(rows.all())


async def reachable_ids(session: AsyncSession, staff_ids: list[int]) -> set[int]:
    """Those of `staff_ids` with at least one linked chat."""
    if not staff_ids:
        return set()
    rows = await session.scalars(
        select(ChatIdentity.staff_id).where(ChatIdentity.staff_id.in_(staff_ids)).distinct()
    )
    return {int(staff_id) for staff_id in rows.all() if staff_id is not None}


async def notify_staff(
    session: AsyncSession,
    staff: Staff,
    reply: Reply,
    now: datetime,
    *,
    kind: str,
    case: Case | None = None,
    dedupe_key: str | None = None,
    tell_superior: bool = True,
) -> int:
    """Queue `reply` to every chat of `staff`; returns how many were queued.

    `dedupe_key` makes the notification idempotent when the job that queues it runs twice;
    each chat gets its own key (`<key>:<identity id>`).
    """
    identities = await identities_of(session, staff.id)
    for identity in identities:
        enqueue(
            session,
            channel=identity.channel,
            chat_id=identity.chat_id,
            reply=reply,
            now=now,
            kind=kind,
            case_id=case.id if case is not None else None,
            staff_id=staff.id,
            dedupe_key=f"{dedupe_key}:{identity.id}" if dedupe_key else None,
        )
    if identities or case is None:
        if not identities:
            log.warning("staff %s has no linked chat; %s not delivered", staff.id, kind)
        return len(identities)
    record_event(
        session,
        case,
        "undeliverable",
        Actor.system(),
        now,
        data={"staff_id": staff.id, "purpose": kind},
    )
    log.warning("case %s: staff %s has no linked chat (%s)", case.reference, staff.id, kind)
    if tell_superior:
        await _tell_superior_unreachable(session, staff, case, now, kind)
    return 0


async def _tell_superior_unreachable(
    session: AsyncSession, staff: Staff, case: Case, now: datetime, kind: str
) -> None:
    superiors = await superiors_for(session, case, exclude_id=staff.id)
    for superior in superiors:
        t = Translator(superior.language)
        text = t(
            "{name} belum menghubungkan akun chat, jadi pemberitahuan kasus {ref} tidak "
            "terkirim kepadanya. Mohon hubungi dia atau alihkan kasusnya.",
            name=staff.name,
            ref=case.reference,
        )
        await notify_staff(
            session,
            superior,
            Reply(
                text=text, options=(Option(case_button(CaseVerb.SHOW, case.id), t("Lihat kasus")),)
            ),
            now,
            kind="undeliverable",
            case=case,
            dedupe_key=f"undeliv:{case.id}:{staff.id}:{kind}:v{case.version}:{superior.id}",
            tell_superior=False,
        )


async def coordinators_of(session: AsyncSession, kecamatan_code: str) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(
            Staff.role == StaffRole.KOORDINATOR,
            Staff.area_code == kecamatan_code,
            Staff.active.is_(True),
        )
        .order_by(Staff.on_duty.desc(), Staff.id)
    )
    return list(rows.all())


async def dinas_staff(session: AsyncSession) -> list[Staff]:
    rows = await session.scalars(
        select(Staff)
        .where(Staff.role == StaffRole.DINAS, Staff.active.is_(True))
        .order_by(Staff.on_duty.desc(), Staff.id)
    )
    return list(rows.all())


async def superiors_for(
    session: AsyncSession, case: Case, *, exclude_id: int | None
) -> list[Staff]:
    """The kecamatan coordinators of the case, else the Dinas officers."""
    for group in (await coordinators_of(session, case.kecamatan_code), await dinas_staff(session)):
        people = [s for s in group if s.id != exclude_id]
        if people:
            return people
    return []


def reporter_reachable(case: Case) -> bool:
    contact = case.reporter_contact
    return bool(
        case.contact_consent
        and isinstance(contact, dict)
        and contact.get("channel")
        and contact.get("chat_id")
    )


def notify_reporter(
    session: AsyncSession,
    case: Case,
    reply: Reply,
    now: datetime,
    *,
    kind: str,
    dedupe_key: str | None = None,
) -> bool:
    """Queue a message to the reporter, only if they agreed to be contacted."""
    if not reporter_reachable(case):
        return False
    contact = case.reporter_contact
    enqueue(
        session,
        channel=str(contact["channel"]),
        chat_id=str(contact["chat_id"]),
        reply=reply,
        now=now,
        kind=kind,
        case_id=case.id,
        dedupe_key=dedupe_key,
    )
    return True


def is_reporter(case: Case, channel: str, user_id: str) -> bool:
    contact = case.reporter_contact
    if not isinstance(contact, dict):
        return False
    return str(contact.get("channel")) == channel and str(contact.get("user_id")) == user_id
