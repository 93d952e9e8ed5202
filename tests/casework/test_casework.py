"""A cadre's work on a case in chat: accept, decline, note, ditangani, selesai, rujuk."""

from __future__ import annotations

from bot.core.app import App
from models import CaseStatus, Staff
from tests.support.casework_fixtures import (
    REPORTER,
    World,
    all_text,
    build_world,
    events,
    get_case,
    option_ids,
    report,
    texts_to,
)
from tests.support.chat import Chat


async def _assigned(app: App, world: World, **kwargs: object) -> tuple[int, Chat]:
    case_id = await report(app, **kwargs)
    case = await get_case(app, case_id)
    assert case.assignee_id is not None
    return case_id, Chat(app, world.chats[case.assignee_id])


async def test_accept_shows_details_records_view_and_tells_consenting_reporter(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world, description="Anak dikurung di gudang")
    replies = await cadre.press(f"k:acc:{case_id}")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITERIMA and case.accepted_at == app.clock.now()
    assert case.due_kind == "update" and case.due_at is not None
    text = all_text(replies)
    assert "Anak dikurung di gudang" in text and "RT 03 RW 02" in text
    assert REPORTER not in text  # the reporter's chat is never shown
    assert f"k:hdl:{case_id}" in option_ids(replies)
    assert f"k:ask:{case_id}" in option_ids(replies)
    assert len(await events(app, case_id, "accepted")) == 1
    assert len(await events(app, case_id, "viewed")) == 1
    (told,) = await texts_to(app, REPORTER)
    assert case.reference in told and "diterima" in told


async def test_accept_without_consent_tells_the_reporter_nothing(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world, consent=False)
    replies = await cadre.press(f"k:acc:{case_id}")
    assert (await get_case(app, case_id)).status == CaseStatus.DITERIMA
    assert f"k:ask:{case_id}" not in option_ids(replies)
    assert await texts_to(app, REPORTER) == []


async def test_accepting_twice_changes_nothing(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    await cadre.press(f"k:acc:{case_id}")
    replies = await cadre.press(f"k:acc:{case_id}")
    assert "tidak bisa dilakukan" in all_text(replies)
    assert len(await events(app, case_id, "accepted")) == 1


async def test_offered_cadre_sees_no_details_before_accepting(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world, description="RAHASIA")
    replies = await cadre.press(f"k:show:{case_id}")
    assert "RAHASIA" not in all_text(replies)
    assert option_ids(replies) == [f"k:acc:{case_id}", f"k:dec:{case_id}"]
    assert await events(app, case_id, "viewed") == []


async def test_decline_with_reason_moves_the_case_on(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    first = (await get_case(app, case_id)).assignee_id
    replies = await cadre.press(f"k:dec:{case_id}")
    assert "alasan" in all_text(replies)
    assert await cadre.flow() == "staff_input"
    assert (await get_case(app, case_id)).assignee_id == first  # nothing yet
    await cadre.send("Saya sedang di luar kota")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id not in (first, None)
    (declined,) = await events(app, case_id, "declined")
    assert declined.note == "Saya sedang di luar kota" and declined.data["staff_id"] == first
    (moved,) = await events(app, case_id, "reassigned")
    assert moved.data["trigger"] == "declined"
    assert case.assignee_id is not None
    (offer,) = await texts_to(app, world.chats[case.assignee_id])
    assert case.reference in offer


async def test_note_handling_and_resolution(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    await cadre.press(f"k:acc:{case_id}")
    await cadre.press(f"k:note:{case_id}")
    await cadre.send("Sudah bicara dengan ibu korban")
    (note,) = await events(app, case_id, "note")
    assert note.note == "Sudah bicara dengan ibu korban"
    replies = await cadre.press(f"k:hdl:{case_id}")
    assert (await get_case(app, case_id)).status == CaseStatus.DITANGANI
    assert f"k:done:{case_id}" in option_ids(replies)
    await cadre.press(f"k:done:{case_id}")
    await cadre.send("Anak sudah aman bersama neneknya")
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.SELESAI and case.resolved_at == app.clock.now()
    assert case.outcome == "Anak sudah aman bersama neneknya"
    assert case.due_at is None
    texts = await texts_to(app, REPORTER)
    assert any("selesai" in t for t in texts)


async def test_refer_to_dinas_notifies_the_dinas(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    await cadre.press(f"k:acc:{case_id}")
    await cadre.press(f"k:ref:{case_id}")
    replies = await cadre.send("Perlu pendampingan psikolog")
    assert "dirujuk" in all_text(replies)
    case = await get_case(app, case_id)
    assert case.status == CaseStatus.DIRUJUK and case.due_kind == "referral"
    (referred,) = await events(app, case_id, "referred")
    assert referred.note == "Perlu pendampingan psikolog"
    (text,) = await texts_to(app, world.chats[world.dinas])
    assert case.reference in text and "psikolog" not in text


async def test_cancel_typed_input_with_empty_text_keeps_asking(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    await cadre.press(f"k:acc:{case_id}")
    await cadre.press(f"k:note:{case_id}")
    replies = await cadre.send("   ")
    assert "teks" in all_text(replies)
    await cadre.send("Catatan kedua")
    assert len(await events(app, case_id, "note")) == 1


async def test_another_button_ends_a_pending_typed_answer(app: App) -> None:
    world = await build_world(app)
    case_id, cadre = await _assigned(app, world)
    await cadre.press(f"k:acc:{case_id}")
    await cadre.press(f"k:note:{case_id}")
    assert await cadre.flow() == "staff_input"
    await cadre.press(f"k:show:{case_id}")
    assert await cadre.flow() is None
    await cadre.press(f"k:note:{case_id}")
    await cadre.send("/kasus")
    assert await cadre.flow() is None
    assert await events(app, case_id, "note") == []


async def test_last_resort_decline_keeps_the_case_and_says_so(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        for staff_id in (world.kader_c, world.coordinator):
            staff = await session.get(Staff, staff_id)
            assert staff is not None
            staff.on_duty = staff_id != world.kader_c
            staff.active = staff_id != world.coordinator
    case_id = await report(app, kelurahan="15.71.01.1002")
    assert (await get_case(app, case_id)).assignee_id == world.dinas
    dinas = Chat(app, world.chats[world.dinas])
    await dinas.press(f"k:dec:{case_id}")
    replies = await dinas.send("Tidak ada petugas")
    assert "masih pada Anda" in all_text(replies)
    assert f"k:acc:{case_id}" in option_ids(replies)
    case = await get_case(app, case_id)
    assert case.assignee_id == world.dinas and case.status == CaseStatus.DITUGASKAN
    assert len(await events(app, case_id, "unroutable")) == 1
