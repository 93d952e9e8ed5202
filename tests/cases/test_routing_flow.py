"""Through the real conversation engine: a resident's report reaches the cadre, who accepts."""

from __future__ import annotations

from bot.core.app import App
from models import CaseStatus
from tests.support.casework_fixtures import (
    all_text,
    build_world,
    events,
    get_case,
    outbox,
    texts_to,
)
from tests.support.chat import Chat
from tests.support.report_support import all_cases, report_until_summary


async def test_report_is_routed_accepted_and_the_reporter_told(app: App) -> None:
    world = await build_world(app)
    resident = Chat(app, user_id="4001")
    await report_until_summary(resident)
    await resident.press("send")
    [case] = await all_cases(app)
    assert case.status == CaseStatus.DITUGASKAN
    assert case.assignee_id in (world.kader_a, world.kader_b)  # Simpang IV Sipin
    cadre_chat = world.chats[case.assignee_id]
    (offer,) = [m for m in await outbox(app, cadre_chat) if m.kind == "assignment"]
    assert offer.case_id == case.id

    cadre = Chat(app, cadre_chat)
    replies = await cadre.press(f"k:acc:{case.id}")
    assert "Anak tetangga sering dipukul ayahnya." in all_text(replies)
    assert (await get_case(app, case.id)).status == CaseStatus.DITERIMA
    told = await texts_to(app, "4001")
    assert any(case.reference in t and "diterima oleh kader" in t for t in told)
    assert len(await events(app, case.id, "viewed")) == 1
