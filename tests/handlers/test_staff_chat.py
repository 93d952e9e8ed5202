"""Staff commands in chat: /kasus (with filters), /libur, /aktif, /ringkasan, reassign, close, reopen."""

from __future__ import annotations

from datetime import timedelta

from bot.core.app import App
from models import CaseStatus, Staff
from tests.support.casework_fixtures import (
    KEL2,
    KEL_OTHER_KEC,
    all_text,
    build_world,
    events,
    get_case,
    option_ids,
    report,
    texts_to,
)
from tests.support.chat import Chat


async def test_cadre_lists_own_open_cases_newest_first(app: App) -> None:
    world = await build_world(app)
    older = await report(app, kelurahan=KEL2)
    app.clock.advance(minutes=5)  # type: ignore[attr-defined]
    newer = await report(app, kelurahan=KEL2, categories=["psikis"])
    replies = await Chat(app, world.chats[world.kader_c]).send("/kasus")
    assert option_ids(replies) == [f"k:show:{newer}", f"k:show:{older}"]
    assert ": 2" in all_text(replies)
    empty = await Chat(app, world.chats[world.kader_a]).send("/kasus")
    assert "Tidak ada kasus" in all_text(empty)


async def test_coordinator_filters_open_overdue_unassigned(app: App) -> None:
    world = await build_world(app)
    mine = await report(app)
    elsewhere = await report(app, kelurahan=KEL_OTHER_KEC)
    coordinator = Chat(app, world.chats[world.coordinator])
    replies = await coordinator.send("/kasus")
    ids = option_ids(replies)
    assert f"k:show:{mine}" in ids and f"k:show:{elsewhere}" not in ids
    assert "k:list:overdue" in ids and "k:list:unassigned" in ids
    assert f"k:show:{mine}" not in option_ids(await coordinator.send("/kasus terlambat"))
    app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    assert f"k:show:{mine}" in option_ids(await coordinator.press("k:list:overdue"))
    assert f"k:show:{mine}" not in option_ids(await coordinator.send("/kasus belum"))
    # The Dinas sees the whole city.
    dinas_ids = option_ids(await Chat(app, world.chats[world.dinas]).send("/kasus"))
    assert {f"k:show:{mine}", f"k:show:{elsewhere}"} <= set(dinas_ids)


async def test_off_duty_cadre_gets_no_new_cases_until_back(app: App) -> None:
    world = await build_world(app)
    cadre = Chat(app, world.chats[world.kader_c])
    assert "libur" in all_text(await cadre.send("/libur"))
    case = await get_case(app, await report(app, kelurahan=KEL2))
    assert case.assignee_id == world.coordinator
    await cadre.send("/aktif")
    async with app.db.transaction() as session:
        staff = await session.get(Staff, world.kader_c)
        assert staff is not None and staff.on_duty
    case = await get_case(app, await report(app, kelurahan=KEL2, categories=["psikis"]))
    assert case.assignee_id == world.kader_c


async def test_ringkasan_shows_counts(app: App) -> None:
    world = await build_world(app)
    case = await get_case(app, await report(app, description="Cerita rahasia korban"))
    other = await get_case(app, await report(app, kelurahan=KEL2))
    elsewhere = await get_case(app, await report(app, kelurahan=KEL_OTHER_KEC))
    replies = await Chat(app, world.chats[world.coordinator]).send("/ringkasan")
    text = all_text(replies)
    assert "Ringkasan harian Kecamatan Telanaipura" in text
    # Counts of this kecamatan only: the case in Jambi Selatan is not the coordinator's.
    assert "Laporan baru sejak kemarin: 2" in text
    assert "Kasus terbuka: 2" in text
    assert "menunggu diterima: 2" in text
    assert case.reference in text and other.reference in text
    assert elsewhere.reference not in text
    assert "Cerita rahasia korban" not in text


async def test_coordinator_views_and_reassigns_to_another_cadre(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, description="Cerita lengkap")
    first = (await get_case(app, case_id)).assignee_id
    assert first is not None
    coordinator = Chat(app, world.chats[world.coordinator])
    view = await coordinator.press(f"k:show:{case_id}")
    assert "Cerita lengkap" in all_text(view)
    (viewed,) = await events(app, case_id, "viewed")
    assert viewed.actor_staff_id == world.coordinator
    assert f"k:re:{case_id}" in option_ids(view)
    menu = await coordinator.press(f"k:re:{case_id}")
    target = f"k:rt:{case_id}:{world.kader_c}"
    assert target in option_ids(menu)
    assert f"k:rt:{case_id}:{first}" not in option_ids(menu)
    replies = await coordinator.press(target)
    assert "Citra Kader" in all_text(replies)
    case = await get_case(app, case_id)
    assert case.assignee_id == world.kader_c and case.status == CaseStatus.DITUGASKAN
    (moved,) = await events(app, case_id, "reassigned")
    assert moved.actor_staff_id == world.coordinator and moved.data["reason"] == "manual"
    assert any(case.reference in t for t in await texts_to(app, world.chats[world.kader_c]))
    assert any("dialihkan" in t for t in await texts_to(app, world.chats[first]))


async def test_reassign_to_someone_outside_the_kecamatan_is_refused(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app)
    before = (await get_case(app, case_id)).assignee_id
    replies = await Chat(app, world.chats[world.coordinator]).press(
        f"k:rt:{case_id}:{world.other_coordinator}"
    )
    assert "tidak bisa dipilih" in all_text(replies)
    assert (await get_case(app, case_id)).assignee_id == before


async def test_dinas_closes_and_reopens(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    cadre = Chat(app, world.chats[world.kader_c])
    await cadre.press(f"k:acc:{case_id}")
    await cadre.press(f"k:done:{case_id}")
    await cadre.send("Selesai dengan mediasi")
    dinas = Chat(app, world.chats[world.dinas])
    view = await dinas.press(f"k:show:{case_id}")
    assert f"k:cls:{case_id}" in option_ids(view)
    await dinas.press(f"k:cls:{case_id}")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITUTUP and case.closed_at is not None
    await dinas.press(f"k:opn:{case_id}")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITANGANI and case.due_at is not None
    kinds = [e.kind for e in await events(app, case_id)]
    assert "closed" in kinds and "reopened" in kinds
    # A coordinator may not close.
    coordinator = Chat(app, world.chats[world.coordinator])
    await cadre.press(f"k:done:{case_id}")
    await cadre.send("Selesai lagi")
    await coordinator.press(f"k:cls:{case_id}")
    assert (await get_case(app, case_id)).status == CaseStatus.SELESAI


async def test_staff_writing_outside_a_flow_lands_on_their_cases_not_a_report(app: App) -> None:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2)
    chat = Chat(app, world.chats[world.kader_c])
    home = await chat.send("halo")
    assert option_ids(home) == ["k:list:open", "i:start"]
    assert await chat.flow() is None
    assert f"k:show:{case_id}" in option_ids(await chat.press("k:list:open"))
    await chat.press("i:start")
    assert await chat.flow() == "intake"
    # A cadre's /lapor records a case (issue 18); "Sebagai warga" is the resident's report.
    await chat.send("/batal")
    await chat.send("/lapor")
    assert await chat.flow() == "intake"
    await chat.press("i:danger:warga")
    assert await chat.flow() == "report"
