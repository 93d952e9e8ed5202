"""Typed SQLAlchemy 2 ORM models of PATBM Lapor."""

from models.area import Area, AreaLevel
from models.base import Base
from models.case import Case, CaseEvent, CasePriority, CaseSource, CaseStatus
from models.evidence import CaseEvidence, CaseFollowUp, EvidenceStatus, FollowUpAnswer
from models.messaging import (
    ChatIdentity,
    Conversation,
    InboxUpdate,
    Instance,
    OutboxMessage,
    RateLimit,
)
from models.staff import Staff, StaffRole

__all__ = [
    "Area",
    "AreaLevel",
    "Base",
    "Case",
    "CaseEvent",
    "CaseEvidence",
    "CaseFollowUp",
    "CasePriority",
    "CaseSource",
    "CaseStatus",
    "ChatIdentity",
    "Conversation",
    "EvidenceStatus",
    "FollowUpAnswer",
    "InboxUpdate",
    "Instance",
    "OutboxMessage",
    "RateLimit",
    "Staff",
    "StaffRole",
]
