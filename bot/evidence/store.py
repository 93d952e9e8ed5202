"""Evidence rows of a case: queued with the case, claimed by the fetch job, outcomes recorded.

At submission (`queue_evidence`, in the case's own transaction) each file becomes a
`case_evidence` row in status `pending` holding the platform's file id; nothing is downloaded
there, so a slow or failing platform never holds up or loses a report. The fetch job
(bot/evidence/fetch.py) claims due rows with a lease, downloads outside any transaction, and
records the outcome here: `stored` (bytes encrypted, size, SHA-256), `refused` (over the size
limit) or, after `evidence_fetch_attempts`, `failed`; a refused or failed file is a case event,
and a reporter who agreed to contact is told kindly. Recording is conditional on the row still
being pending and leased by this attempt, so a second fetcher never stores a file twice.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.lifecycle import Actor, record_event
from bot.cases.notify import notify_reporter
from bot.core.i18n import Translator
from bot.evidence.rules import EVIDENCE_KINDS, MAX_BYTES, MAX_CAPTION, MAX_FILES, megabytes
from bot.messaging.messages import Reply
from models import Case, CaseEvidence, EvidenceStatus

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
BACKOFF_BASE = timedelta(seconds=30)
BACKOFF_MAX = timedelta(hours=1)
# Noted in the session's info when its transaction queued evidence: after the commit the fetch
# worker of this process is woken (a commit hook, see `queued_in` and bot/evidence/worker.py).
_QUEUED_FLAG = "patbm_evidence_queued"


def queue_evidence(session: AsyncSession, case: Case, now: datetime) -> int:
    """A pending row per file of the case (at most MAX_FILES); the caller's transaction."""
    items = [i for i in (case.evidence or []) if isinstance(i, dict) and i.get("file_id")]
    queued = 0
    for position, item in enumerate(items[:MAX_FILES]):
        kind = str(item.get("kind") or "document")
        size = item.get("size")
        session.add(
            CaseEvidence(
                case_id=case.id,
                position=position,
                kind=kind if kind in EVIDENCE_KINDS else "document",
                channel=case.channel,
                file_ref=str(item["file_id"]),
                mime_type=str(item["mime"])[:100] if item.get("mime") else None,
                size=size if isinstance(size, int) else None,
                caption=str(item["caption"])[:MAX_CAPTION] if item.get("caption") else None,
                status=EvidenceStatus.PENDING,
                attempts=0,
                next_attempt_at=now,
                created_at=now,
            )
        )
        queued += 1
    if queued:
        session.sync_session.info[_QUEUED_FLAG] = True
    return queued


def queued_in(info: Mapping[str, Any]) -> bool:
    """Whether the transaction of the session with this `info` queued evidence."""
    return bool(info.get(_QUEUED_FLAG))


@dataclass(frozen=True)
class Claimed:
    id: int
    case_id: int
    channel: str
    kind: str
    file_ref: str
    attempts: int
    mime_type: str | None


async def claim_due(
    session: AsyncSession, now: datetime, channels: set[str], limit: int, *, postgres: bool
) -> list[Claimed]:
    """Lease up to `limit` pending rows whose attempt is due, for channels we can fetch from."""
    if not channels:
        return []
    query = (
        select(CaseEvidence)
        .where(
            CaseEvidence.status == EvidenceStatus.PENDING,
            CaseEvidence.next_attempt_at <= now,
            CaseEvidence.channel.in_(sorted(channels)),
            (CaseEvidence.locked_until.is_(None)) | (CaseEvidence.locked_until < now),
        )
        .order_by(CaseEvidence.next_attempt_at, CaseEvidence.id)
        .limit(limit)
    )
    if postgres:
        query = query.with_for_update(skip_locked=True)
    claimed: list[Claimed] = []
    for row in (await session.scalars(query)).all():
        row.locked_until = now + LEASE
        row.attempts += 1
        claimed.append(
            Claimed(
                row.id,
                row.case_id,
                row.channel,
                row.kind,
                row.file_ref or "",
                row.attempts,
                row.mime_type,
            )
        )
    return claimed


async def _ours(session: AsyncSession, claimed: Claimed) -> CaseEvidence | None:
    row = await session.get(CaseEvidence, claimed.id)
    if row is None or row.status != EvidenceStatus.PENDING or row.attempts != claimed.attempts:
        return None  # finished or claimed again elsewhere meanwhile
    return row


async def record_stored(
    session: AsyncSession, claimed: Claimed, content: bytes, mime: str | None, now: datetime
) -> bool:
    row = await _ours(session, claimed)
    if row is None:
        return False
    row.content = content
    row.size = len(content)
    row.sha256 = hashlib.sha256(content).hexdigest()
    row.mime_type = (mime or row.mime_type or "application/octet-stream")[:100]
    row.status = EvidenceStatus.STORED
    row.stored_at = now
    row.locked_until = None
    row.last_error = None
    row.file_ref = None  # the platform id is no longer needed
    case = await session.get(Case, row.case_id)
    if case is not None:
        record_event(
            session,
            case,
            "evidence_stored",
            Actor.system(),
            now,
            data={"evidence_id": row.id, "kind": row.kind, "size": row.size},
        )
    return True


async def record_retry(
    session: AsyncSession, claimed: Claimed, reason: str, now: datetime, max_attempts: int
) -> bool:
    """Another attempt later; True when this was the last one and the file failed."""
    row = await _ours(session, claimed)
    if row is None:
        return False
    row.locked_until = None
    row.last_error = reason[:200]
    if row.attempts < max_attempts:
        delay = min(BACKOFF_MAX, BACKOFF_BASE * 2 ** (row.attempts - 1))
        row.next_attempt_at = now + delay
        return False
    await _give_up(session, row, "fetch_failed", now)
    return True


async def record_refused(
    session: AsyncSession, claimed: Claimed, size: int | None, now: datetime
) -> None:
    row = await _ours(session, claimed)
    if row is not None:
        row.size = size
        await _give_up(session, row, "too_large", now)


async def _give_up(session: AsyncSession, row: CaseEvidence, reason: str, now: datetime) -> None:
    row.status = EvidenceStatus.REFUSED if reason == "too_large" else EvidenceStatus.FAILED
    row.locked_until = None
    row.file_ref = None
    row.last_error = reason
    case = await session.get(Case, row.case_id)
    if case is None:
        return
    record_event(
        session,
        case,
        "evidence_refused" if reason == "too_large" else "evidence_failed",
        Actor.system(),
        now,
        data={"evidence_id": row.id, "kind": row.kind, "reason": reason, "size": row.size},
    )
    t = Translator(case.language)
    if reason == "too_large":
        text = t(
            "Laporan {ref} sudah kami terima dan sedang ditindaklanjuti. Satu berkas bukti "
            "terlalu besar untuk disimpan (paling besar {limit}), jadi tidak ikut tersimpan. "
            "Petugas dapat memintanya lagi bila perlu.",
            ref=case.reference,
            limit=megabytes(MAX_BYTES),
        )
    else:
        text = t(
            "Laporan {ref} sudah kami terima dan sedang ditindaklanjuti. Satu berkas bukti "
            "tidak berhasil kami ambil, jadi tidak ikut tersimpan. Petugas dapat memintanya "
            "lagi bila perlu.",
            ref=case.reference,
        )
    # Only a reporter who agreed to contact hears of it (never an unprompted message otherwise).
    notify_reporter(
        session,
        case,
        Reply(text=text),
        now,
        kind="evidence_notice",
        dedupe_key=f"evidence:{row.id}",
    )
