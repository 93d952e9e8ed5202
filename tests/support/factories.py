"""Small builders for tests: areas of Kota Jambi, staff, and a case row written directly."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.areas import import_areas
from bot.cases.references import hash_pin, make_reference
from models import Case, CasePriority, CaseStatus

KELURAHAN = "15.71.01.1001"  # Simpang IV Sipin, Telanaipura, Kota Jambi
KECAMATAN = "15.71.01"


async def jambi(session: AsyncSession) -> None:
    await import_areas(session, "15.71")


def make_case(
    now: datetime,
    *,
    status: CaseStatus = CaseStatus.BARU,
    priority: CasePriority = CasePriority.BIASA,
    kelurahan: str = KELURAHAN,
    description: str = "Anak tetangga sering dipukul",
    reference: str | None = None,
) -> Case:
    reference = reference or make_reference("JMB")
    return Case(
        reference=reference,
        pin_hash=hash_pin(reference, "123456"),
        submission_key=uuid.uuid4().hex,
        status=status,
        priority=priority,
        categories=["fisik"],
        victim_age_group="6-12",
        victim_sex="P",
        kecamatan_code=kelurahan.rsplit(".", 1)[0],
        kelurahan_code=kelurahan,
        location_detail="RT 03 RW 02, dekat masjid",
        description=description,
        reporter_contact={"channel": "telegram", "chat_id": "555", "user_id": "555"},
        anonymous=False,
        contact_consent=True,
        channel="telegram",
        language="id",
        escalation_level=0,
        created_at=now,
        updated_at=now,
    )
