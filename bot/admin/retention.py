"""Retention: closed cases older than the retention period lose their personal data.

A case that is `ditutup` or `dibatalkan`, and was closed (or last changed) more than
`settings.retention_months` ago, keeps everything statistics need (categories, areas, victim age
group and sex, dates, status, escalation level) and loses: description, location detail and
point, evidence references and the evidence files themselves (`case_evidence`), the
follow-up's free text, reporter contact, outcome, the free-text notes of its events, and
the payloads of its outbox messages (which may quote details). Each anonymisation is a case
event `anonymised`, written in the same transaction as the change.

Inbox rows are not linked to cases; the scheduler's cleanup removes handled ones long before
a retention period ends.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event
from bot.core.db import Database
from bot.core.logs import log_event
from models import Case, CaseEvent, CaseEvidence, CaseFollowUp, CaseStatus, OutboxMessage

CLOSED_STATUSES = (CaseStatus.DITUTUP, CaseStatus.DIBATALKAN)
PERSONAL_FIELDS = (
    "description",
    "location_detail",
    "location_point",
    "evidence",
    "reporter_contact",
    "source_contact",
    "outcome",
)
REDACTED_PAYLOAD = {"redacted": "retention"}

log = logging.getLogger(__name__)


def months_before(moment: datetime, months: int) -> datetime:
    """The same day and time `months` calendar months earlier (the 31st becomes the month's last)."""
    index = moment.year * 12 + (moment.month - 1) - months
    year, month0 = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month0 + 1)[1])
    return moment.replace(year=year, month=month0 + 1, day=day)


@dataclass(frozen=True)
class Candidate:
    case_id: int
    reference: str
    status: str
    closed_at: datetime
    fields: tuple[str, ...]  # the personal fields that hold something
    notes: int
    outbox: int


@dataclass
class RetentionResult:
    cutoff: datetime
    dry_run: bool
    cases: list[Candidate] = field(default_factory=list)


async def find_due(
    session: AsyncSession, cutoff: datetime, *, limit: int | None = None, lock: bool = False
) -> list[Candidate]:
    """Cases due for anonymisation; presence of data is tested in SQL, nothing is decrypted."""
    # dibatalkan has no stamp of its own; its last change is when it was withdrawn.
    closed_at = func.coalesce(Case.closed_at, Case.updated_at)
    notes = (
        select(func.count())
        .where(CaseEvent.case_id == Case.id, CaseEvent.note.is_not(None))
        .scalar_subquery()
    )
    outbox = select(func.count()).where(OutboxMessage.case_id == Case.id).scalar_subquery()
    query = (
        select(
            Case.id,
            Case.reference,
            Case.status,
            closed_at,
            *(getattr(Case, name).is_not(None) for name in PERSONAL_FIELDS),
            notes,
            outbox,
        )
        .where(
            Case.status.in_([s.value for s in CLOSED_STATUSES]),
            Case.anonymised_at.is_(None),
            closed_at < cutoff,
        )
        .order_by(Case.id)
    )
    if limit is not None:
        query = query.limit(limit)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Case, skip_locked=True)
    found: list[Candidate] = []
    for row in await session.execute(query):
        case_id, reference, status, closed, *present, n_notes, n_outbox = row
        fields = tuple(name for name, has in zip(PERSONAL_FIELDS, present, strict=True) if has)
        found.append(Candidate(case_id, reference, status, closed, fields, n_notes, n_outbox))
    return found


async def anonymise(
    session: AsyncSession,
    case: Case,
    candidate: Candidate,
    actor: Actor,
    now: datetime,
    months: int,
) -> None:
    """Clear one case's personal data and record it, in the caller's transaction."""
    for name in PERSONAL_FIELDS:
        setattr(case, name, None)
    case.anonymised_at = now
    case.updated_at = now
    await session.execute(
        update(CaseEvent)
        .where(CaseEvent.case_id == case.id, CaseEvent.note.is_not(None))
        .values(note=None)
    )
    # Evidence files go whole (bytes, captions, platform ids); the follow-up keeps its answer.
    files = await session.execute(delete(CaseEvidence).where(CaseEvidence.case_id == case.id))
    await session.execute(
        update(CaseFollowUp).where(CaseFollowUp.case_id == case.id).values(note=None)
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.case_id == case.id, OutboxMessage.status == "pending")
        .values(status="failed", last_error="anonymised by retention")
    )
    await session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.case_id == case.id)
        .values(payload=REDACTED_PAYLOAD)
    )
    record_event(
        session,
        case,
        "anonymised",
        actor,
        now,
        data={
            "fields": list(candidate.fields),
            "notes": candidate.notes,
            "outbox": candidate.outbox,
            "files": int(getattr(files, "rowcount", 0) or 0),
            "retention_months": months,
        },
    )


async def apply_retention(
    db: Database,
    now: datetime,
    months: int,
    *,
    actor: Actor,
    dry_run: bool = False,
    batch_size: int = 100,
) -> RetentionResult:
    """Anonymise every due case, one transaction per batch; a dry run only lists them."""
    result = RetentionResult(cutoff=months_before(now, months), dry_run=dry_run)
    if dry_run:
        async with db.transaction() as session:
            result.cases = await find_due(session, result.cutoff)
        return result
    while True:
        done: list[Candidate] = []
        async with db.transaction() as session:
            batch = await find_due(session, result.cutoff, limit=batch_size, lock=True)
            for candidate in batch:
                case = await session.get(Case, candidate.case_id)
                if case is None or case.status not in CLOSED_STATUSES:
                    continue  # reopened since it was selected
                await anonymise(session, case, candidate, actor, now, months)
                done.append(candidate)
        # Committed: now it is true.
        for candidate in done:
            log_event(log, "case anonymised", case=candidate.reference)
        result.cases.extend(done)
        if len(batch) < batch_size:
            return result
