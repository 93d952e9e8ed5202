"""Staff: cadres, coordinators, Dinas officers and administrators, known in advance by phone."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class StaffRole(StrEnum):
    KADER = "kader"
    KOORDINATOR = "koordinator_kecamatan"
    DINAS = "dinas"
    ADMIN = "admin"


# Which area level each role is attached to.
ROLE_AREA_LEVEL = {
    StaffRole.KADER: "kelurahan",
    StaffRole.KOORDINATOR: "kecamatan",
    StaffRole.DINAS: "kota",
    StaffRole.ADMIN: "kota",
}


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20), unique=True)
    role: Mapped[str] = mapped_column(String(32), index=True)
    area_code: Mapped[str] = mapped_column(ForeignKey("areas.code"), index=True)
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    backup_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id", ondelete="SET NULL"))
    language: Mapped[str] = mapped_column(String(8), default="id")
    last_assigned_at: Mapped[datetime | None]
    # sha256 of a one-time linking code from `patbm staff invite`; the code itself is never stored.
    invite_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    invite_expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime]
