"""Chat identities, conversations, the durable inbox and the outbox."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, EncryptedJSON

# Literal SQL, also in the queries that should use the partial indexes below: SQLite matches the
# terms verbatim, and a bound `status = $1` in a generic PostgreSQL plan matches no predicate.
PENDING_SQL = "status = 'pending'"


class ChatIdentity(Base):
    """A chat account (channel + the platform's user id), linked to a staff member or not."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("channel", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str | None] = mapped_column(String(8))
    # WhatsApp's 24-hour window starts at the user's last message.
    last_inbound_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class Conversation(Base):
    """Where one chat user stands in a flow; stored so a restart or another instance carries on."""

    __tablename__ = "conversations"
    __table_args__ = (UniqueConstraint("channel", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(64))
    chat_id: Mapped[str] = mapped_column(String(64))
    flow: Mapped[str | None] = mapped_column(String(32))
    step: Mapped[str | None] = mapped_column(String(32))
    # Collected answers may hold a description: encrypted.
    data: Mapped[Any] = mapped_column(EncryptedJSON, nullable=True)
    language: Mapped[str] = mapped_column(String(8), default="id")
    updated_at: Mapped[datetime] = mapped_column(index=True)
    version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012


class InboxUpdate(Base):
    """Every incoming update, committed before it is acknowledged to the platform."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index("ix_inbox_status_id", "status", "id"),
        # The flood limit's count of a chat's rows handled in the last minute (bot/messaging/inbox_guard.py).
        Index("ix_inbox_chat_handled", "chat_key", "handled_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Telegram update_id, WhatsApp wamid (or a status id).
    update_key: Mapped[str] = mapped_column(String(128))
    # Updates of one chat are handled in order; this is the chat they belong to.
    chat_key: Mapped[str] = mapped_column(String(64), index=True)
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    # pending, done, failed; rejected (poison), throttled (a flood: kept, not handled)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    # The instance (bot/messaging/instances.py) holding the lease: once its heartbeat is stale, the lease
    # is free whatever `locked_until` says. None: a lease that only runs out.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    received_at: Mapped[datetime]
    handled_at: Mapped[datetime | None]


class OutboxMessage(Base):
    """A message to send, written in the transaction that caused it; delivered with retries."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next_attempt", "status", "next_attempt_at"),
        Index("ix_outbox_chat_id_order", "channel", "chat_id", "id"),
        # The claim's "is an older row of this chat holding it back?" probe (bot/messaging/claims.py):
        # pending rows only, so it never walks a chat's history of sent messages.
        Index(
            "ix_outbox_pending_chat",
            "channel",
            "chat_id",
            "id",
            "next_attempt_at",
            postgresql_where=text(PENDING_SQL),
            sqlite_where=text(PENDING_SQL),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    # A neutral Reply as JSON (text, options, ...); encrypted because it can hold case details.
    payload: Mapped[Any] = mapped_column(EncryptedJSON)
    kind: Mapped[str] = mapped_column(String(24), default="reply")
    case_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"), index=True
    )
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    # Makes a notification idempotent across retries of the job that queued it.
    dedupe_key: Mapped[str | None] = mapped_column(String(128), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    locked_until: Mapped[datetime | None]
    # As InboxUpdate.lease_owner.
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    last_error: Mapped[str | None] = mapped_column(String(200))
    platform_message_id: Mapped[str | None] = mapped_column(String(128), index=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    delivered_at: Mapped[datetime | None]


class Instance(Base):
    """A running `patbm run` process; its heartbeat says its leases are still held."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    heartbeat_at: Mapped[datetime]
    started_at: Mapped[datetime]


class RateLimit(Base):
    """Counters for throttling (wrong status PINs), shared by every instance."""

    __tablename__ = "rate_limits"

    key: Mapped[str] = mapped_column(String(128), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
    window_start: Mapped[datetime]
