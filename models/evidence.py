"""Evidence files of a case and the reporter's follow-up answer after closing.

Evidence bytes live in the database, encrypted with the case's key ring: with several
`patbm run` instances on one PostgreSQL server every instance can fetch, send and delete a file
with no shared disk, a file goes with its case in one backup, key rotation and retention reach
it through the same transactions as the rest of the case, and a restore never has rows pointing
at files that are not there. The cost (at most 5 × 10 MB a case, ~33 % more as a token) is
small next to what a city reports in a year.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, EncryptedBlob, EncryptedText


class EvidenceStatus:
    PENDING = "pending"  # to fetch from the platform
    STORED = "stored"  # bytes kept
    REFUSED = "refused"  # over the size limit: never stored
    FAILED = "failed"  # the platform would not give it after every attempt
    REMOVED = "removed"  # retention cleared it


class CaseEvidence(Base):
    __tablename__ = "case_evidence"
    __table_args__ = (
        UniqueConstraint("case_id", "position"),
        # The fetch job claims pending rows whose attempt is due.
        Index("ix_case_evidence_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)  # the order the resident sent them in
    kind: Mapped[str] = mapped_column(String(16))  # photo, voice, audio, video, document
    channel: Mapped[str] = mapped_column(String(16))  # where the file is fetched from
    # The platform's file id (with the bot token it downloads the file): encrypted.
    file_ref: Mapped[str | None] = mapped_column(EncryptedText)
    mime_type: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int | None] = mapped_column(Integer)
    sha256: Mapped[str | None] = mapped_column(String(64))
    content: Mapped[bytes | None] = mapped_column(EncryptedBlob, deferred=True)
    caption: Mapped[str | None] = mapped_column(EncryptedText)
    status: Mapped[str] = mapped_column(String(12), default=EvidenceStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime]
    stored_at: Mapped[datetime | None]


class FollowUpAnswer:
    YA = "ya"
    SEBAGIAN = "sebagian"
    TIDAK = "tidak"
    LEWATI = "lewati"
    ALL = ("ya", "sebagian", "tidak", "lewati")


class CaseFollowUp(Base):
    """One per case at most (unique case_id): the question after closing is asked once."""

    __tablename__ = "case_followups"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), unique=True)
    # sent, answered, skipped (never sent: WhatsApp window closed, reporter unreachable)
    status: Mapped[str] = mapped_column(String(12))
    reason: Mapped[str | None] = mapped_column(String(32))
    answer: Mapped[str | None] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(EncryptedText)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


__all__ = ["CaseEvidence", "CaseFollowUp", "EvidenceStatus", "FollowUpAnswer"]
