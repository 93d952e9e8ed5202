"""End to end over HTTP on WhatsApp: who a report reaches, and staff who link from a phone."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff, create_invite
from bot.core.app import App
from models import Case, ChatIdentity, OutboxMessage
from tests.fakes import whatsapp_payloads as p
from tests.support.report_support import KEL_SIMPANG_IV_SIPIN, seed_areas
from tests.support.whatsapp_phone import (
    RESIDENT,
    System,
    report_on_whatsapp,
    whatsapp_system,
)


@pytest.fixture
async def system(app: App) -> AsyncIterator[System]:
    async with whatsapp_system(app) as built:
        yield built


async def test_a_telegram_cadre_is_assigned_a_whatsapp_report(system: System) -> None:
    app = system.app
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        staff = await add_staff(session, "Budi", "081200000002", "kader", KEL_SIMPANG_IV_SIPIN, now)
        session.add(
            ChatIdentity(
                channel="telegram",
                external_id="777",
                chat_id="777",
                staff_id=staff.id,
                created_at=now,
            )
        )
    await report_on_whatsapp(system.phone(RESIDENT))
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
        rows = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "telegram"))
        ).all()
    assert case is not None and case.assignee_id == staff.id
    assert [r.kind for r in rows] == ["assignment"] and rows[0].chat_id == "777"


async def test_a_cadre_without_a_visible_number_links_with_the_invite_code(
    system: System,
) -> None:
    app = system.app
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Citra", "081200000003", "kader", KEL_SIMPANG_IV_SIPIN, now
        )
        _staff, code = await create_invite(session, "081200000003", now)
    user_id = "ID.1410018717833190"  # a username user: no wa_id in the webhook
    phone = system.phone(user_id)
    await phone.post(p.text_message("wamid.U1", None, f"/start {code}", user_id=user_id))
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == user_id)
        )
    assert identity is not None and identity.staff_id == staff.id
    (answer,) = system.fake.to(user_id)
    assert answer["recipient"] == user_id and "to" not in answer
    # Linked, with the staff menu under the same message.
    assert "terhubung" in answer["interactive"]["body"]["text"]
    titles = [b["reply"]["title"] for b in answer["interactive"]["action"]["buttons"]]
    assert titles == ["Kasus saya", "Catat kasus"]


async def test_a_number_registered_as_staff_mid_report_links_at_the_next_message(
    system: System,
) -> None:
    app = system.app
    await seed_areas(app)
    resident = system.phone(RESIDENT)
    await resident.say("Halo")
    await resident.press("n")
    async with app.db.transaction() as session:
        staff = await add_staff(
            session, "Dewi", "+" + RESIDENT, "kader", KEL_SIMPANG_IV_SIPIN, app.clock.now()
        )
    resident.new_texts()
    await resident.press("fisik")  # any message, at any point of any flow
    async with app.db.transaction() as session:
        identity = await session.scalar(
            select(ChatIdentity).where(ChatIdentity.external_id == RESIDENT)
        )
    assert identity is not None and identity.staff_id == staff.id
    said = resident.new_texts()
    assert "sudah terhubung" in said and "tetap tersimpan" in said  # the draft is kept, and said
    await resident.press("ok")
    assert "Berapa kira-kira usia korban?" in resident.new_texts()
