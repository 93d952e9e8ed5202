"""End to end over HTTP: a resident reports on WhatsApp, the cadre is assigned and accepts.

Webhook posts (signed, real payload shapes) go into the real HTTP app of `patbm run` in process
(httpx ASGITransport); the inbox processor and the outbox delivery worker run as in production;
replies reach the fake Graph API on 127.0.0.1, and the test presses the buttons and list rows
it finds there, as the person on the phone would.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.messaging.messages import Option, Reply
from bot.messaging.outbox import enqueue
from models import Case, CaseStatus, OutboxMessage
from tests.fakes import whatsapp_payloads as p
from tests.support.report_support import KEL_SIMPANG_IV_SIPIN, seed_areas
from tests.support.whatsapp_phone import (
    CADRE,
    RESIDENT,
    System,
    report_on_whatsapp,
    run_system,
    whatsapp_system,
)
from tests.support.whatsapp_support import add_identity, inbox_rows


@pytest.fixture
async def system(app: App) -> AsyncIterator[System]:
    async with whatsapp_system(app) as built:
        yield built


async def test_resident_reports_and_the_whatsapp_cadre_accepts(
    system: System, clock: FixedClock
) -> None:
    app, fake = system.app, system.fake
    await seed_areas(app)
    async with app.db.transaction() as session:
        cadre_staff = await add_staff(
            session, "Ani Kader", "0812-0000-0001", "kader", KEL_SIMPANG_IV_SIPIN, clock.now()
        )
    # The cadre linked their WhatsApp earlier (by number) and last wrote two days ago.
    await add_identity(
        app, CADRE, last_inbound_at=clock.now() - timedelta(days=2), staff_id=cadre_staff.id
    )
    resident, cadre = system.phone(RESIDENT), system.phone(CADRE)

    confirmation = await report_on_whatsapp(resident)
    assert "Nomor laporan" in confirmation
    async with app.db.transaction() as session:
        case = await session.scalar(select(Case))
    assert case is not None and case.channel == "whatsapp"
    assert case.reference in confirmation
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id == cadre_staff.id
    assert case.evidence and "880011" in str(case.evidence)
    assert case.location_point == {"lat": -1.6101, "lon": 103.6131}

    # Outside the cadre's window: only the template, with the reference and nothing else.
    (template,) = cadre.inbox()
    assert template["type"] == "template"
    assert template["template"]["components"][0]["parameters"][0]["text"] == case.reference
    assert "dipukul" not in str(template)
    async with app.db.transaction() as session:
        held = (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.status == "held"))
        ).all()
    assert [(r.kind, r.case_id, r.chat_id) for r in held] == [("assignment", case.id, CADRE)]

    # The cadre opens the chat and writes: the held assignment arrives, and they accept it.
    clock.advance(timedelta(minutes=20))
    await cadre.say("Selamat pagi")
    assert case.reference in cadre.new_texts()
    await cadre.press("Terima")
    async with app.db.transaction() as session:
        accepted = await session.get(Case, case.id)
    assert accepted is not None and accepted.status == CaseStatus.DITERIMA
    assert "Terima kasih" in cadre.new_texts()

    # Nothing was refused by the API and every inbox row was handled once.
    assert fake.refused == []
    assert {r.status for r in await inbox_rows(app)} == {"done"}


async def test_the_same_webhook_twice_makes_one_effect(system: System) -> None:
    await seed_areas(system.app)
    resident = system.phone(RESIDENT)
    value = p.text_message("wamid.ONCE", RESIDENT, "Halo")
    await resident.post(value)
    first = len(resident.inbox())
    assert first >= 1
    await resident.post(value)  # WhatsApp retries the webhook
    assert len(resident.inbox()) == first
    assert len(await inbox_rows(system.app)) == 1

    # The delivery receipt of our answer is recorded on its outbox row.
    answer = resident.inbox()[-1]["_wamid"]
    await resident.post(p.status_update(answer, "delivered", RESIDENT))
    async with system.app.db.transaction() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.platform_message_id == answer)
        )
    assert row is not None and row.status == "sent" and row.delivered_at is not None


async def test_a_long_list_is_paged_by_the_channel_and_the_choice_reaches_the_flow(
    system: System,
) -> None:
    app = system.app
    now = app.clock.now()
    await add_identity(app, RESIDENT, last_inbound_at=now)
    options = tuple(Option(f"zz:{i}", f"Kelurahan nomor {i}") for i in range(25))
    async with app.db.transaction() as session:
        enqueue(
            session, channel="whatsapp", chat_id=RESIDENT, reply=Reply("Pilih", options), now=now
        )
    await run_system(system.processor, system.worker)
    resident = system.phone(RESIDENT)
    await resident.press("20")  # on the third page
    lists = [m["interactive"] for m in resident.inbox() if m["type"] == "interactive"]
    assert len(lists) == 3
    rows = [[r["id"] for r in page["action"]["sections"][0]["rows"]] for page in lists]
    assert rows[1][0] == "zz:9" and rows[1][-1] == "wa:pg:2"
    assert rows[2][-2:] == ["zz:24", "wa:pg:0"]
    handled = await inbox_rows(app)
    assert [r.status for r in handled] == ["done", "done", "done"]
    # The paging presses were answered by the channel alone; only the real choice reached the
    # conversation engine (whose answer comes after the pages).
    async with app.db.transaction() as session:
        kinds = [
            r.kind
            for r in (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
        ]
    assert kinds[:3] == ["reply", "wa_page", "wa_page"] and len(kinds) >= 4
    assert "wa_page" not in kinds[3:]
