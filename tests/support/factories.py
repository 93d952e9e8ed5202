"""Small builders for tests: areas of Kota Jambi, staff, and a case row written directly."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.cases.areas import import_areas
from bot.cases.references import hash_pin, make_reference
from models import Case, CasePriority, CaseStatus

KELURAHAN = "15.71.01.1001"  # Simpang IV Sipin, Telanaipura, Kota Jambi
KECAMATAN = "15.71.01"
REPORTER_CHAT = "555"


async def jambi(session: AsyncSession) -> None:
    await import_areas(session, "15.71")


def make_case(
    now: datetime,
    *,
    status: CaseStatus = CaseStatus.BARU,
    priority: str = CasePriority.BIASA,
    kelurahan: str = KELURAHAN,
    categories: Sequence[str] = ("fisik",),
    age: str = "6-12",
    sex: str = "P",
    consent: bool = True,
    reporter_chat: str = REPORTER_CHAT,
    description: str = "Anak tetangga sering dipukul",
    reference: str | None = None,
    **columns: Any,
) -> Case:
    """The one way tests build a case row; `consent=False` is an anonymous report (no contact).

    `columns` sets (or overrides) any other column of Case, e.g. reporter_role or evidence.
    """
    reference = reference or make_reference("JMB")
    contact = {"channel": "telegram", "chat_id": reporter_chat, "user_id": reporter_chat}
    fields: dict[str, Any] = {
        "reference": reference,
        "pin_hash": hash_pin(reference, "123456"),
        "submission_key": uuid.uuid4().hex,
        "status": status,
        "priority": priority,
        "categories": list(categories),
        "victim_age_group": age,
        "victim_sex": sex,
        "kecamatan_code": kelurahan.rsplit(".", 1)[0],
        "kelurahan_code": kelurahan,
        "location_detail": "RT 03 RW 02, dekat masjid",
        "description": description,
        "reporter_contact": contact if consent else None,
        "anonymous": not consent,
        "contact_consent": consent,
        "channel": "telegram",
        "language": "id",
        "escalation_level": 0,
        "created_at": now,
        "updated_at": now,
    }
    fields.update(columns)
    return Case(**fields)
