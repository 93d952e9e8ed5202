"""Inbound parts refused at the edge: set aside, never handled, kept for a while to look at."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base, EncryptedText


class RejectedInbound(Base):
    """One refused part of a webhook POST (a message, a status, a broken entry or change).

    `excerpt` is the part's JSON cut to a few kilobytes and encrypted: it may hold a resident's
    words, and an operator may need it to see what a new or broken format looked like.
    """

    __tablename__ = "rejected_inbound"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    # Where in the POST, e.g. `entry[0].changes[1].value.messages[2]`.
    part: Mapped[str] = mapped_column(String(120))
    reason: Mapped[str] = mapped_column(String(200))
    excerpt: Mapped[str | None] = mapped_column(EncryptedText, nullable=True)
    received_at: Mapped[datetime] = mapped_column(index=True)
