"""The masked relay: staff and the reporter talk through the bot, labelled with the reference.

Neither side sees the other's number or username: the reporter's contact stays encrypted on the
case and only the bot uses it. Only for reporters who agreed to be contacted. `/stop REF` from
the reporter ends it for good: consent and the stored contact are removed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.action_table import Action, apply_action
from bot.cases.authz import AccessDenied, deny, require
from bot.cases.buttons import CaseVerb, case_button
from bot.cases.lifecycle import Actor, CaseError, record_event
from bot.cases.notify import (
    is_reporter,
    notify_reporter,
    notify_staff,
    reporter_reachable,
    superiors_for,
)
from bot.cases.references import normalise_reference
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from models import Case, Staff
from models.case import OPEN_STATUSES

MAX_TEXT = 1000


@dataclass
class RelayUnavailable(CaseError):
    """The reporter did not agree to be contacted, stopped the relay, or the case is closed."""

    reference: str

    def __str__(self) -> str:
        return f"{self.reference}: relay not available"


def relay_open(case: Case) -> bool:
    return case.status in OPEN_STATUSES and reporter_reachable(case)


async def ask_reporter(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    question: str,
    now: datetime,
    channel: str | None,
) -> None:
    actor = require(session, staff, case, Action.ASK, now, channel)
    if not relay_open(case):
        raise RelayUnavailable(case.reference)
    text = question.strip()[:MAX_TEXT]
    t = Translator(case.language)
    apply_action(session, case, Action.ASK, actor, now, note=text)
    notify_reporter(
        session,
        case,
        Reply(
            text=t(
                "Pesan dari kader PATBM tentang laporan {ref}:\n\n{text}\n\nTekan Balas untuk "
                "menjawab. Untuk berhenti menerima pesan, ketik /stop {ref}",
                ref=case.reference,
                text=text,
            ),
            options=(Option(f"rl:ans:{case.id}", t("Balas")),),
        ),
        now,
        kind="relay",
    )


async def reporter_answer(
    session: AsyncSession,
    case_id: int,
    channel: str,
    user_id: str,
    answer: str,
    now: datetime,
) -> Case:
    """Forward the reporter's answer to the person working on the case."""
    case = await session.get(Case, case_id)
    if case is None:
        raise RelayUnavailable(str(case_id))
    reporter = Actor(kind="reporter", channel=channel)
    if not is_reporter(case, channel, user_id):
        raise deny(session, case, Actor(kind="resident", channel=channel), "relay_answer", now)
    if not relay_open(case):
        raise RelayUnavailable(case.reference)
    text = answer.strip()[:MAX_TEXT]
    record_event(session, case, "relay_answer", reporter, now, note=text)
    for staff in await _recipients(session, case):
        t = Translator(staff.language)
        await notify_staff(
            session,
            staff,
            Reply(
                text=t(
                    "Jawaban pelapor untuk kasus {ref}:\n\n{text}", ref=case.reference, text=text
                ),
                options=(Option(case_button(CaseVerb.ASK, case.id), t("Tanya lagi")),),
            ),
            now,
            kind="relay",
            case=case,
        )
    return case


async def _recipients(session: AsyncSession, case: Case) -> list[Staff]:
    if case.assignee_id is not None:
        staff = await session.get(Staff, case.assignee_id)
        if staff is not None and staff.active:
            return [staff]
    return await superiors_for(session, case, exclude_id=None)


async def stop_relay(
    session: AsyncSession, reference_text: str, channel: str, user_id: str, now: datetime
) -> Case | None:
    """The reporter ends the relay; None (and nothing changed) for anyone else or a bad reference."""
    reference = normalise_reference(reference_text)
    if reference is None:
        return None
    case = await session.scalar(select(Case).where(Case.reference == reference))
    if case is None:
        return None
    if not is_reporter(case, channel, user_id):
        deny(session, case, Actor(kind="resident", channel=channel), "relay_stop", now)
        return None
    record_event(session, case, "relay_stopped", Actor(kind="reporter", channel=channel), now)
    case.contact_consent = False
    case.reporter_contact = None
    case.updated_at = now
    for staff in await _recipients(session, case):
        t = Translator(staff.language)
        await notify_staff(
            session,
            staff,
            Reply(
                text=t(
                    "Pelapor kasus {ref} meminta tidak dihubungi lagi. Pesan melalui bot untuk "
                    "kasus ini sudah dihentikan.",
                    ref=case.reference,
                )
            ),
            now,
            kind="relay",
            case=case,
            dedupe_key=f"relay_stop:{case.id}:{staff.id}",
        )
    return case


__all__ = [
    "AccessDenied",
    "RelayUnavailable",
    "ask_reporter",
    "relay_open",
    "reporter_answer",
    "stop_relay",
]
