"""Cases (kasus) and their append-only audit trail (case events)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, ForeignKey, Index, Integer, String, text
from sqlalchemy.orm import Mapped, mapped_column
from sqlalchemy.sql import literal_column

from models.base import Base, EncryptedJSON, EncryptedText


class CaseStatus(StrEnum):
    BARU = "baru"
    DITUGASKAN = "ditugaskan"
    DITERIMA = "diterima"
    DITANGANI = "ditangani"
    SELESAI = "selesai"
    DITUTUP = "ditutup"
    DIRUJUK = "dirujuk"
    DIBATALKAN = "dibatalkan"


OPEN_STATUSES = (
    CaseStatus.BARU,
    CaseStatus.DITUGASKAN,
    CaseStatus.DITERIMA,
    CaseStatus.DITANGANI,
    CaseStatus.DIRUJUK,
)
OPEN_STATUS_VALUES = [str(s) for s in OPEN_STATUSES]
# The predicate of the partial index the sweep claims from. Queries that want that index repeat
# it as literal SQL (`text(OPEN_CASE_SQL)`): SQLite matches the terms verbatim and a bound IN
# list would hide the values from PostgreSQL's generic plans.
OPEN_CASE_SQL = "status IN (" + ", ".join(f"'{s}'" for s in OPEN_STATUS_VALUES) + ")"
_OPEN_PREDICATE = text(OPEN_CASE_SQL)
# The same predicate as a boolean clause, for `&` and `.where()`: "the case is open", in the form
# that lets the planner use ix_cases_open_due (lists, counts and digests of open cases).
OPEN_CASE: ColumnElement[bool] = literal_column(OPEN_CASE_SQL, Boolean())


class CaseSource(StrEnum):
    """How a case reached the programme: a resident through the bot, or a cadre who met it."""

    LAPORAN_WARGA = "laporan_warga"
    DICATAT_KADER = "dicatat_kader"


class CasePriority(StrEnum):
    DARURAT = "darurat"
    BIASA = "biasa"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The sweep claims open cases in deadline order: ORDER BY due_at, id LIMIT n comes
        # straight off this index instead of sorting every due row (status is an IN list).
        # It also serves every "open cases" query (OPEN_CASE); there is deliberately no
        # (status, due_at) index: PostgreSQL preferred it for the claim, then sorted all due rows.
        Index(
            "ix_cases_open_due",
            "due_at",
            "id",
            postgresql_where=_OPEN_PREDICATE,
            sqlite_where=_OPEN_PREDICATE,
        ),
        Index("ix_cases_kelurahan_created", "kelurahan_code", "created_at"),
        Index("ix_cases_assignee_status", "assignee_id", "status"),
        # Statistics and the dashboard read one period (a month) of cases, city-wide or of one
        # kecamatan (bot/reporting/stats.py).
        Index("ix_cases_created", "created_at"),
        Index("ix_cases_kecamatan_created", "kecamatan_code", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    pin_hash: Mapped[str] = mapped_column(String(128))
    # Makes a submission idempotent: the same draft submitted twice is one case.
    submission_key: Mapped[str] = mapped_column(String(64), unique=True)

    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.BARU)
    priority: Mapped[str] = mapped_column(String(8), default=CasePriority.BIASA)
    categories: Mapped[list[str]] = mapped_column(JSON, default=list)
    victim_age_group: Mapped[str | None] = mapped_column(String(8))
    victim_sex: Mapped[str | None] = mapped_column(String(8))
    place: Mapped[str | None] = mapped_column(String(32))  # tempat kejadian
    perpetrator_relation: Mapped[str | None] = mapped_column(String(32))  # hubungan pelaku
    incident_when: Mapped[str | None] = mapped_column(String(16))  # today, yesterday, ...
    incident_at: Mapped[datetime | None]

    # Looked up through ix_cases_kecamatan_created (its leading column), not an index of its own.
    kecamatan_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))
    kelurahan_code: Mapped[str] = mapped_column(ForeignKey("areas.code"))

    # Personal data: encrypted at rest.
    location_detail: Mapped[str | None] = mapped_column(EncryptedText)
    location_point: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    description: Mapped[str | None] = mapped_column(EncryptedText)
    evidence: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    # {"channel": ..., "chat_id": ..., "user_id": ...}; only kept when contact is allowed.
    reporter_contact: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)

    reporter_role: Mapped[str | None] = mapped_column(String(32))
    # Counted apart in stats, exports and digests (issue 18).
    source: Mapped[str] = mapped_column(
        String(16), default=CaseSource.LAPORAN_WARGA, server_default=CaseSource.LAPORAN_WARGA
    )
    # A case a cadre recorded: who told them, how, and whether that person may be contacted.
    source_teller: Mapped[str | None] = mapped_column(String(32))
    source_means: Mapped[str | None] = mapped_column(String(16))
    source_consent: Mapped[bool | None] = mapped_column(Boolean)
    # {"name": ..., "phone": ...} of the person who told the cadre: personal, never exported.
    source_contact: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    # SIMFONI-PPA asks for both; optional.
    victim_age_years: Mapped[int | None] = mapped_column(Integer)
    victim_disability: Mapped[bool | None] = mapped_column(Boolean)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=True)
    contact_consent: Mapped[bool] = mapped_column(Boolean, default=False)
    channel: Mapped[str] = mapped_column(String(16))
    language: Mapped[str] = mapped_column(String(8), default="id")

    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    escalation_level: Mapped[int] = mapped_column(Integer, default=0)
    # What the deadline in due_at is for: accept, update, resolve, referral.
    due_kind: Mapped[str | None] = mapped_column(String(16))
    due_at: Mapped[datetime | None]
    # Kept by the sweep so it needs no history query per case: acceptance deadlines missed
    # (events `escalated`, rule accept_timeout; never reset, as the events are never removed)
    # and the last reminder sent for the current status (reset by every status change).
    accept_misses: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    reminded_at: Mapped[datetime | None]
    duplicate_of_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    outcome: Mapped[str | None] = mapped_column(EncryptedText)

    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    assigned_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    anonymised_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class CaseEvent(Base):
    """Append-only: who did what to which case, when, from which channel."""

    __tablename__ = "case_events"
    __table_args__ = (Index("ix_case_events_case_at", "case_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    # Not indexed on its own: every reader filters by case first (ix_case_events_case_at), and
    # the sweep inserts thousands of events at once.
    kind: Mapped[str] = mapped_column(String(32))
    actor_kind: Mapped[str] = mapped_column(String(16))  # reporter, staff, system, admin
    actor_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    channel: Mapped[str | None] = mapped_column(String(16))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    # Machine-readable, never personal: reasons as codes, ids, levels.
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Free text a person wrote (a note, a decline reason): may be personal, so encrypted.
    note: Mapped[str | None] = mapped_column(EncryptedText)


__all__ = [
    "OPEN_CASE",
    "OPEN_CASE_SQL",
    "OPEN_STATUSES",
    "OPEN_STATUS_VALUES",
    "Case",
    "CaseEvent",
    "CasePriority",
    "CaseSource",
    "CaseStatus",
]
