"""The reporter's voice after closing: one question, a configurable time after `ditutup`.

Who is asked: a reporter who agreed to be contacted (not anonymous, a chat to reach), once per
case (`case_followups` is unique on the case; a case reopened and closed again is not asked
again), `followup_delay_days` after it was closed. Cases closed more than `LATE` before that
are left alone (an upgrade does not ask about old cases). On WhatsApp the question goes only
inside the 24-hour window (we have no approved template for it): outside it the follow-up is
recorded as skipped (`followup_skipped`, reason `whatsapp_window`) and nothing is sent.

The answer ("Ya", "Sebagian", "Tidak", "Lewati") comes back as a button (`fu:<id>:<answer>`,
handlers/followup.py), checked against the case's recorded reporter, and may be followed by a
short free text, kept encrypted and never shown in digests. Counts: `followup_counts`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import notify_reporter, reporter_reachable
from bot.core.app import App
from bot.core.i18n import N_, Translator
from bot.messaging.messages import Option, Reply
from models import Case, CaseFollowUp, CaseStatus, ChatIdentity, FollowUpAnswer

log = logging.getLogger(__name__)

LATE = timedelta(days=14)
WHATSAPP_WINDOW = timedelta(hours=24)
BATCH = 100
PREFIX = "fu"
ANSWER_LABELS = {
    FollowUpAnswer.YA: N_("Ya"),
    FollowUpAnswer.SEBAGIAN: N_("Sebagian"),
    FollowUpAnswer.TIDAK: N_("Tidak"),
    FollowUpAnswer.LEWATI: N_("Lewati"),
}


@dataclass
class FollowUpResult:
    sent: int = 0
    skipped: int = 0
    reasons: dict[str, int] = field(default_factory=dict)


def question(case: Case, followup_id: int) -> Reply:
    t = Translator(case.language)
    text = t(
        "Laporan {ref} sudah ditutup oleh petugas PATBM. Menurut Anda, apakah laporan itu "
        "sudah ditangani? Jawaban Anda membantu kami memperbaiki layanan.",
        ref=case.reference,
    )
    options = tuple(
        Option(f"{PREFIX}:{followup_id}:{answer}", t(label))
        for answer, label in ANSWER_LABELS.items()
    )
    return Reply(text=text, options=options)


async def _window_open(session: AsyncSession, case: Case, now: datetime) -> bool:
    contact = case.reporter_contact or {}
    if contact.get("channel") != "whatsapp":
        return True
    last = await session.scalar(
        select(ChatIdentity.last_inbound_at).where(
            ChatIdentity.channel == "whatsapp",
            ChatIdentity.chat_id == str(contact.get("chat_id")),
        )
    )
    return last is not None and now - last < WHATSAPP_WINDOW


async def _due(session: AsyncSession, now: datetime, delay: timedelta) -> list[int]:
    asked = select(CaseFollowUp.id).where(CaseFollowUp.case_id == Case.id).exists()
    rows = await session.scalars(
        select(Case.id)
        .where(
            Case.status == CaseStatus.DITUTUP,
            Case.contact_consent.is_(True),
            Case.anonymous.is_(False),
            Case.anonymised_at.is_(None),
            Case.closed_at <= now - delay,
            Case.closed_at > now - delay - LATE,
            ~asked,
        )
        .order_by(Case.closed_at, Case.id)
        .limit(BATCH)
    )
    return list(rows.all())


async def _ask(session: AsyncSession, case: Case, now: datetime, result: FollowUpResult) -> None:
    reason: str | None = None
    if not reporter_reachable(case):
        reason = "unreachable"
    elif not await _window_open(session, case, now):
        reason = "whatsapp_window"
    followup = CaseFollowUp(
        case_id=case.id,
        status="skipped" if reason else "sent",
        reason=reason,
        created_at=now,
    )
    async with session.begin_nested():
        session.add(followup)
        await session.flush()
    if reason is not None:
        record_event(
            session, case, "followup_skipped", Actor.system(), now, data={"reason": reason}
        )
        result.skipped += 1
        result.reasons[reason] = result.reasons.get(reason, 0) + 1
        return
    notify_reporter(
        session,
        case,
        question(case, followup.id),
        now,
        kind="followup",
        dedupe_key=f"followup:{case.id}",
    )
    record_event(session, case, "followup_sent", Actor.system(), now)
    result.sent += 1


async def sweep_followups(app: App, now: datetime) -> FollowUpResult:
    """Ask every reporter whose case is due; safe to run in every instance at once."""
    delay = timedelta(days=app.settings.followup_delay_days)
    result = FollowUpResult()
    async with app.db.transaction() as session:
        due = await _due(session, now, delay)
    for case_id in due:
        try:
            async with app.db.transaction() as session:
                case = await session.get(Case, case_id)
                if case is None or case.status != CaseStatus.DITUTUP:
                    continue
                await _ask(session, case, now, result)
        except IntegrityError:
            # Another instance asked this case in the meantime: once is the rule.
            log.info("follow-up of case %s already made elsewhere", case_id)
    if due:
        log.info("follow-ups: %s sent, %s skipped", result.sent, result.skipped)
    return result


@dataclass(frozen=True)
class FollowUpCounts:
    asked: int
    answered: int
    by_answer: dict[str, int]
    skipped: int

    @property
    def share_answered(self) -> float | None:
        return self.answered / self.asked if self.asked else None

    @property
    def share_ya(self) -> float | None:
        return self.by_answer.get(FollowUpAnswer.YA, 0) / self.answered if self.answered else None


async def followup_counts(
    session: AsyncSession,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    kecamatan_code: str | None = None,
) -> FollowUpCounts:
    """Counts only, never the free text: questions sent (by when), answers by value."""
    query = (
        select(CaseFollowUp.status, CaseFollowUp.answer, func.count())
        .join(Case, Case.id == CaseFollowUp.case_id)
        .group_by(CaseFollowUp.status, CaseFollowUp.answer)
    )
    if start is not None:
        query = query.where(CaseFollowUp.created_at >= start)
    if end is not None:
        query = query.where(CaseFollowUp.created_at < end)
    if kecamatan_code is not None:
        query = query.where(Case.kecamatan_code == kecamatan_code)
    asked = answered = skipped = 0
    by_answer: dict[str, int] = {}
    for status, answer, count in await session.execute(query):
        if status == "skipped":
            skipped += int(count)
            continue
        asked += int(count)
        if status == "answered" and answer:
            answered += int(count)
            by_answer[str(answer)] = by_answer.get(str(answer), 0) + int(count)
    return FollowUpCounts(asked, answered, by_answer, skipped)


async def followup_digest_line(session: AsyncSession, t: Translator, now: datetime) -> str:
    """Shares of the reporters' answers over 30 days; counts only, never their words."""
    counts = await followup_counts(session, start=now - timedelta(days=30), end=now)
    if not counts.asked:
        return ""
    answered = round(100 * (counts.share_answered or 0))
    ya = round(100 * (counts.share_ya or 0))
    return "\n\n" + t(
        "Tindak lanjut pelapor (30 hari): {asked} ditanya, {answered}% menjawab, "
        "{ya}% dari jawaban “Ya” (sudah ditangani).",
        asked=counts.asked,
        answered=answered,
        ya=ya,
    )
