"""Dashboard sign-in: one-time links, browser sessions, and the access log of the web view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class DashboardLink(Base):
    """A link sent in chat by `/dasbor`: valid a few minutes, used once; only its hash is kept."""

    __tablename__ = "dashboard_links"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class DashboardSession(Base):
    """A signed-in browser, kept server-side so `/dasbor keluar` can end it at once."""

    __tablename__ = "dashboard_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class AccessEvent(Base):
    """Who opened, downloaded or was refused what outside a case (bot/admin/audit.py `record_access`).

    Never personal: kinds and reasons are codes, `data` holds periods, scopes and formats.
    """

    __tablename__ = "access_events"
    __table_args__ = (Index("ix_access_events_at", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime]
    kind: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    via: Mapped[str] = mapped_column(String(16))  # dashboard, telegram, whatsapp, terminal
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
