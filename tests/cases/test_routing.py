"""Routing a new case: on duty, load, ties, the fallback chain, darurat alerts, unreachable staff."""

from __future__ import annotations

from datetime import timedelta

from bot.core.app import App
from bot.messaging.messages import Reply
from models import CaseStatus, ChatIdentity, Staff
from tests.support.casework_fixtures import (
    KEL2,
    KEL_OTHER_KEC,
    build_world,
    events,
    get_case,
    link,
    outbox,
    report,
    texts_to,
)


async def _set(app: App, staff_id: int, **values: object) -> None:
    async with app.db.transaction() as session:
        staff = await session.get(Staff, staff_id)
        assert staff is not None
        for key, value in values.items():
            setattr(staff, key, value)


async def test_new_case_goes_to_an_on_duty_kader_with_the_summary_only(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, description="RAHASIA-CERITA-123")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITUGASKAN
    assert case.assignee_id in (world.kader_a, world.kader_b)
    assert case.assigned_at == app.clock.now()
    assert case.due_kind == "accept" and case.due_at is not None and case.due_at > app.clock.now()
    (assigned,) = await events(app, case_id, "assigned")
    assert assigned.data["reason"] == "kader_least_load"
    assert assigned.from_status == "baru" and assigned.to_status == "ditugaskan"
    rows = await outbox(app, world.chats[case.assignee_id])
    assert [r.kind for r in rows] == ["assignment"]
    reply = Reply.from_json(rows[0].payload)
    assert case.reference in reply.text and "Simpang IV Sipin" in reply.text
    assert "6–12 tahun" in reply.text and "Kekerasan fisik" in reply.text
    for secret in ("RAHASIA-CERITA-123", "RT 03", "9001", "tetangga"):
        assert secret not in reply.text
    assert [o.id for o in reply.options] == [f"k:acc:{case_id}", f"k:dec:{case_id}"]
    assert rows[0].dedupe_key is not None


async def test_fewest_open_cases_wins(app: App) -> None:
    world = await build_world(app)
    first = await get_case(app, await report(app))
    second = await get_case(app, await report(app, categories=["psikis"]))
    assert {first.assignee_id, second.assignee_id} == {world.kader_a, world.kader_b}


async def test_ties_go_to_the_least_recently_assigned(app: App) -> None:
    world = await build_world(app)
    now = app.clock.now()
    await _set(app, world.kader_a, last_assigned_at=now - timedelta(hours=1))
    await _set(app, world.kader_b, last_assigned_at=now - timedelta(hours=2))
    case = await get_case(app, await report(app))
    assert case.assignee_id == world.kader_b
    async with app.db.transaction() as session:
        kader_b = await session.get(Staff, world.kader_b)
        assert kader_b is not None and kader_b.last_assigned_at == now


async def test_off_duty_and_inactive_cadres_are_skipped(app: App) -> None:
    world = await build_world(app)
    await _set(app, world.kader_a, on_duty=False)
    case = await get_case(app, await report(app))
    assert case.assignee_id == world.kader_b
    await _set(app, world.kader_b, active=False)
    case = await get_case(app, await report(app, categories=["seksual"]))
    assert case.assignee_id == world.coordinator
    (assigned,) = await events(app, case.id, "assigned")
    assert assigned.data["reason"] == "no_kader_on_duty"


async def test_fallback_chain_coordinator_then_dinas_then_nobody(app: App) -> None:
    world = await build_world(app)
    # Pasir Putih (Jambi Selatan) has no cadre: its kecamatan coordinator gets it.
    case = await get_case(app, await report(app, kelurahan=KEL_OTHER_KEC))
    assert case.assignee_id == world.other_coordinator
    await _set(app, world.other_coordinator, active=False)
    case = await get_case(app, await report(app, kelurahan=KEL_OTHER_KEC, categories=["psikis"]))
    assert case.assignee_id == world.dinas
    (assigned,) = await events(app, case.id, "assigned")
    assert assigned.data["reason"] == "no_coordinator"
    await _set(app, world.dinas, active=False)
    case = await get_case(app, await report(app, kelurahan=KEL_OTHER_KEC, categories=["seksual"]))
    assert case.status == CaseStatus.BARU and case.assignee_id is None
    # Nobody at all: the sweep routes it again later (tests/cases/test_routing_retry.py).
    assert case.due_kind == "route"
    assert case.due_at == app.clock.now() + timedelta(minutes=app.settings.routing_retry_minutes)
    assert len(await events(app, case.id, "unroutable")) == 1


async def test_darurat_alerts_coordinator_and_dinas_at_once(app: App) -> None:
    world = await build_world(app)
    case = await get_case(app, await report(app, priority="darurat", kelurahan=KEL2))
    assert case.assignee_id == world.kader_c
    assert case.due_at == app.clock.now() + timedelta(minutes=30)
    (alert,) = await events(app, case.id, "darurat_alert")
    assert sorted(alert.data["staff_ids"]) == sorted([world.coordinator, world.dinas])
    for staff_id in (world.coordinator, world.dinas):
        (text,) = await texts_to(app, world.chats[staff_id])
        assert "DARURAT" in text and case.reference in text
        assert "dipukul" not in text
    # The other kecamatan's coordinator hears nothing.
    assert await texts_to(app, world.chats[world.other_coordinator]) == []


async def test_ordinary_case_alerts_nobody_else(app: App) -> None:
    world = await build_world(app)
    await report(app)
    assert await texts_to(app, world.chats[world.coordinator]) == []
    assert await texts_to(app, world.chats[world.dinas]) == []


async def test_reachable_cadre_preferred_and_unreachable_reported(app: App) -> None:
    world = await build_world(app, link_all=False)
    async with app.db.transaction() as session:
        kader_b = await session.get(Staff, world.kader_b)
        coordinator = await session.get(Staff, world.coordinator)
        assert kader_b is not None and coordinator is not None
        await link(session, kader_b, "1002", app.clock.now())
        await link(session, coordinator, "1004", app.clock.now())
    # kader_a has no linked chat: kader_b gets it even though both are free.
    case = await get_case(app, await report(app))
    assert case.assignee_id == world.kader_b
    # Only kader_c in Buluran Kenali, not linked: assigned, recorded, the coordinator told.
    case = await get_case(app, await report(app, kelurahan=KEL2))
    assert case.assignee_id == world.kader_c
    (undeliverable,) = await events(app, case.id, "undeliverable")
    assert undeliverable.data == {"staff_id": world.kader_c, "purpose": "assignment"}
    (text,) = await texts_to(app, "1004")
    assert "Citra Kader" in text and case.reference in text


async def test_every_linked_chat_of_the_cadre_is_notified(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        session.add(
            ChatIdentity(
                channel="whatsapp",
                external_id="6281200000003",
                chat_id="6281200000003",
                staff_id=world.kader_c,
                created_at=app.clock.now(),
            )
        )
    case_id = await report(app, kelurahan=KEL2)
    rows = [r for r in await outbox(app) if r.kind == "assignment"]
    assert sorted((r.channel, r.chat_id) for r in rows) == [
        ("telegram", "1003"),
        ("whatsapp", "6281200000003"),
    ]
    assert all(r.case_id == case_id and r.staff_id == world.kader_c for r in rows)
    assert len({r.dedupe_key for r in rows}) == 2


async def test_darurat_without_cadre_goes_to_the_coordinator_and_alerts_the_dinas(
    app: App,
) -> None:
    world = await build_world(app)
    case = await get_case(app, await report(app, priority="darurat", kelurahan=KEL_OTHER_KEC))
    assert case.assignee_id == world.other_coordinator
    (offer,) = await texts_to(app, world.chats[world.other_coordinator])
    assert offer.startswith("DARURAT")
    (alert,) = await events(app, case.id, "darurat_alert")
    assert alert.data["staff_ids"] == [world.dinas]
