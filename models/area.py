"""Kemendagri areas: kota/kabupaten > kecamatan > kelurahan/desa."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base


class AreaLevel(StrEnum):
    PROVINSI = "provinsi"
    KOTA = "kota"  # kota or kabupaten (level 2)
    KECAMATAN = "kecamatan"
    KELURAHAN = "kelurahan"  # kelurahan or desa (level 4)


class Area(Base):
    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[str] = mapped_column(String(16), index=True)
    # The Kemendagri word for this unit: kota, kabupaten, kecamatan, kelurahan, desa.
    kind: Mapped[str] = mapped_column(String(16))
    parent_code: Mapped[str | None] = mapped_column(
        ForeignKey("areas.code", ondelete="RESTRICT"), index=True
    )

    def contains(self, code: str) -> bool:
        return code == self.code or code.startswith(self.code + ".")
