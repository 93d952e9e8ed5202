"""Typed SQLAlchemy 2 ORM models of PATBM Lapor."""

from models.area import Area, AreaLevel
from models.base import Base
from models.case import Case, CaseEvent, CasePriority, CaseSource, CaseStatus
from models.dashboard import AccessEvent, DashboardLink, DashboardSession
from models.evidence import CaseEvidence, CaseFollowUp, EvidenceStatus, FollowUpAnswer
from models.messaging import (
    ChatIdentity,
    Conversation,
    InboxUpdate,
    Instance,
    OutboxMessage,
    RateLimit,
)
from models.rejected import RejectedInbound
from models.staff import Staff, StaffRole

__all__ = [
    "AccessEvent",
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
    "DashboardLink",
    "DashboardSession",
    "EvidenceStatus",
    "FollowUpAnswer",
    "InboxUpdate",
    "Instance",
    "OutboxMessage",
    "RateLimit",
    "RejectedInbound",
    "Staff",
    "StaffRole",
]
