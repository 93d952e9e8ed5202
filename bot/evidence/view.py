"""“Lihat bukti”: a case's stored files sent to the chat of someone allowed to see the case.

The rule is the full case view's (bot/cases/authz.py `Action.VIEW`, and the offered cadre only after
accepting). A refusal is an `access_denied` event; a viewing is an `evidence_viewed` event
naming the files. Each file goes as its own outbox row whose payload names the evidence row
(`extra["evidence_id"]`), never the bytes: the delivery worker reads and decrypts the file
just before the upload (`attach_evidence`), so the bytes are never copied into the outbox, and
a file removed by retention meanwhile is not sent.
"""

from __future__ import annotations

import base64
import mimetypes
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from bot.cases.action_table import Action
from bot.cases.authz import require
from bot.cases.lifecycle import WrongState, record_event
from bot.core.db import Database
from bot.core.i18n import Translator
from bot.messaging.messages import Media, MediaKind, Reply
from bot.messaging.outbox import enqueue
from bot.messaging.sending import PermanentFailure
from models import Case, CaseEvidence, CaseStatus, EvidenceStatus, Staff

EVIDENCE_KEY = "evidence_id"
_KINDS: dict[str, MediaKind] = {
    "photo": "photo",
    "voice": "voice",
    "audio": "audio",
    "video": "video",
    "document": "document",
}


async def evidence_rows(session: AsyncSession, case_id: int) -> list[CaseEvidence]:
    rows = await session.scalars(
        select(CaseEvidence).where(CaseEvidence.case_id == case_id).order_by(CaseEvidence.position)
    )
    return list(rows.all())


async def send_evidence(
    session: AsyncSession,
    case: Case,
    staff: Staff | None,
    now: datetime,
    *,
    channel: str,
    chat_id: str,
    language: str,
) -> tuple[int, int]:
    """Queue the stored files to (channel, chat_id); (files queued, files still being fetched)."""
    actor = require(session, staff, case, Action.VIEW, now, channel)
    if case.status == CaseStatus.DITUGASKAN and staff is not None and case.assignee_id == staff.id:
        raise WrongState(case.reference, case.status)
    rows = await evidence_rows(session, case.id)
    stored = [r for r in rows if r.status == EvidenceStatus.STORED]
    pending = sum(1 for r in rows if r.status == EvidenceStatus.PENDING)
    t = Translator(language)
    for number, row in enumerate(stored, start=1):
        lines = [
            t(
                "Bukti {n} dari {total}, kasus {ref}",
                n=number,
                total=len(stored),
                ref=case.reference,
            )
        ]
        if row.caption:
            lines.append(t("Keterangan pelapor: {caption}", caption=row.caption))
        enqueue(
            session,
            channel=channel,
            chat_id=chat_id,
            reply=Reply(
                text="\n".join(lines), extra={EVIDENCE_KEY: row.id, "reference": case.reference}
            ),
            now=now,
            kind="evidence",
            case_id=case.id,
            staff_id=staff.id if staff is not None else None,
        )
    record_event(
        session,
        case,
        "evidence_viewed",
        actor,
        now,
        data={"evidence_ids": [r.id for r in stored], "pending": pending},
    )
    return len(stored), pending


def _file_name(reference: str, row: CaseEvidence) -> str:
    mime = (row.mime_type or "").split(";")[0].strip()
    ext = mimetypes.guess_extension(mime) if mime else None
    if mime == "audio/ogg":
        ext = ".ogg"
    return f"bukti-{reference}-{row.position + 1}{ext or '.bin'}"


async def prepare_reply(db: Database, reply: Reply) -> Reply:
    """Delivery's `prepare` hook: a reply that names an evidence file gets the file's bytes."""
    return await attach_evidence(db, reply) if EVIDENCE_KEY in reply.extra else reply


async def attach_evidence(db: Database, reply: Reply) -> Reply:
    """The reply with its file's bytes as media (for the delivery worker, right before sending)."""
    evidence_id = reply.extra.get(EVIDENCE_KEY)
    async with db.transaction() as session:
        row = await session.scalar(
            select(CaseEvidence)
            .options(undefer(CaseEvidence.content))
            .where(CaseEvidence.id == int(evidence_id or 0))
        )
        if row is None or row.status != EvidenceStatus.STORED or row.content is None:
            raise PermanentFailure(reason="evidence_gone")
        reference = str(reply.extra.get("reference") or "kasus")
        media = Media(
            kind=_KINDS.get(row.kind, "document"),
            file_id=_file_name(reference, row),
            content_b64=base64.b64encode(row.content).decode("ascii"),
            mime_type=(row.mime_type or "application/octet-stream").split(";")[0],
        )
    # The key stays: a sender that keeps the reply for later (WhatsApp's held rows) drops the
    # bytes again and keeps only the reference (bot/messaging/held.py `hold`).
    return Reply(text=reply.text, media=media, extra=dict(reply.extra))
