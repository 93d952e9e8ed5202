"""Cadres record a case met in the field (issue 18): already theirs, the source counted apart."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.core.app import App
from models import CaseSource, CaseStatus
from tests.support.casework_fixtures import KEL1, build_world, events, report, texts_to
from tests.support.chat import Chat
from tests.support.intake_support import Cadre, only_case, record_everything


async def test_a_cadre_records_a_case_already_accepted_in_at_most_14_actions(app: App) -> None:
    world = await build_world(app)
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    confirmation = await record_everything(cadre)
    assert cadre.actions <= 14, cadre.actions
    case = await only_case(app)
    assert case.status == CaseStatus.DITERIMA and case.assignee_id == world.kader_a
    assert case.source == CaseSource.DICATAT_KADER
    assert (case.source_teller, case.source_means, case.source_consent) == (
        "keluarga",
        "langsung",
        True,
    )
    assert case.source_contact == {"name": "Bu Rina", "phone": "081234567890"}
    assert case.kelurahan_code == KEL1 and case.location_detail == "RT 03 RW 02, dekat masjid"
    assert case.victim_disability is False and case.reporter_contact is None
    # The deadlines of an accepted case, not an offer's.
    assert case.due_kind not in (None, "accept") and case.due_at is not None
    kinds = [(e.kind, e.actor_kind, e.data.get("reason")) for e in await events(app, case.id)]
    assert kinds[:3] == [
        ("created", "staff", None),
        ("assigned", "staff", "recorded_by_staff"),
        ("accepted", "staff", "recorded_by_staff"),
    ]
    # Nobody else is offered it.
    assert not await texts_to(app, world.chats[world.kader_b])
    found = re.search(r"/status (\S+) (\d+)", confirmation)
    assert found and found.group(1) == case.reference
    # The source checks from any other chat.
    source = Chat(app, user_id="8801")
    await source.text(f"/status {found.group(1)} {found.group(2)}")
    assert "sudah menerima" in source.texts and case.reference in source.texts
    # The full case view (coordinator) shows the source, its name and phone.
    coordinator = Chat(app, user_id=world.chats[world.coordinator])
    await coordinator.option(f"k:show:{case.id}")
    view = coordinator.texts
    assert "Dicatat kader PATBM" in view and "Keluarga korban" in view
    assert "Bu Rina" in view and "081234567890" in view


async def test_a_coordinator_gives_the_case_to_the_suggested_cadre(app: App) -> None:
    world = await build_world(app)
    await report(app, kelurahan="15.71.01.1002")  # someone else's load elsewhere
    coordinator = Cadre(Chat(app, user_id=world.chats[world.coordinator]))
    await coordinator.text("/lapor")
    await coordinator.press("Tidak sekarang")
    await coordinator.text("psikis, seksual")  # several categories, typed
    await coordinator.text("9")  # the age in years
    await coordinator.press("Laki-laki, disabilitas")
    assert "Simpang IV Sipin" in coordinator.labels()  # their kecamatan's kelurahan
    await coordinator.text("Simpang IV Sipin")
    await coordinator.press("✅")
    for label in ("Lewati", "Lewati", "Lewati", "Lewati", "Sekolah", "Telepon, jangan"):
        await coordinator.press(label)
    suggested = [label for label in coordinator.labels() if label.startswith("★")]
    assert suggested and "Saya pegang sendiri" in coordinator.labels()
    await coordinator.press("★")
    await coordinator.press("Simpan kasus")
    async with app.db.transaction() as session:
        from sqlalchemy import select

        from models import Case

        case = (await session.scalars(select(Case).order_by(Case.id.desc()))).first()
        assert case is not None
    assert case.status == CaseStatus.DITUGASKAN and case.assignee_id in (
        world.kader_a,
        world.kader_b,
    )
    assert case.categories == ["psikis", "seksual"]
    assert (case.victim_age_years, case.victim_age_group, case.victim_disability) == (
        9,
        "6-12",
        True,
    )
    assert case.source_consent is False and case.source_means == "telepon"
    offered = await texts_to(app, world.chats[case.assignee_id])
    assert any("Ada laporan baru untuk Anda" in text for text in offered)
    assert "menunggu diterima" in coordinator.chat.texts


async def test_a_coordinator_may_keep_the_case(app: App) -> None:
    world = await build_world(app)
    coordinator = Cadre(Chat(app, user_id=world.chats[world.coordinator]))
    await coordinator.text("/lapor")
    for label in ("Tidak sekarang", "Penelantaran", "0–5 tahun", "Tidak tahu"):
        await coordinator.press(label)
    await coordinator.press("Buluran Kenali")
    await coordinator.press("✅")
    for label in ("Lewati", "Lewati", "Lewati", "Lewati", "Saya melihat sendiri"):
        await coordinator.press(label)
    await coordinator.press("Saya pegang sendiri")
    await coordinator.press("Simpan kasus")
    case = await only_case(app)
    assert case.status == CaseStatus.DITERIMA and case.assignee_id == world.coordinator
    assert case.source_teller == "kader_melihat" and case.source_means is None


async def test_danger_gives_the_numbers_and_tells_the_dinas_at_once(app: App) -> None:
    world = await build_world(app)
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    await cadre.text("/lapor")
    said = await cadre.press("Ya, bahaya sekarang")
    assert "112" in said
    for label in ("Kekerasan seksual", "13–17 tahun", "Perempuan"):
        await cadre.press(label)
    await cadre.press("✅")
    await cadre.press("Lewati")  # the story; when, place and relation are not asked
    await cadre.press("Korban")
    await cadre.press("Bertemu, boleh dikontak")
    confirmation = await cadre.press("Simpan kasus")
    assert "Dinas PPPA langsung diberi tahu" in confirmation
    case = await only_case(app)
    assert case.priority == "darurat" and case.status == CaseStatus.DITERIMA
    alerts = await texts_to(app, world.chats[world.dinas])
    assert any("DARURAT" in text and case.reference in text for text in alerts)
    assert any(case.reference in t for t in await texts_to(app, world.chats[world.coordinator]))


async def test_a_recorded_case_matching_an_open_report_is_linked_for_the_cadre(app: App) -> None:
    world = await build_world(app)
    original = await report(app, sex="p")
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    await record_everything(cadre)
    async with app.db.transaction() as session:
        from sqlalchemy import select

        from models import Case

        recorded = (await session.scalars(select(Case).where(Case.id != original))).one()
    assert recorded.duplicate_of_id == original
    asked = await texts_to(app, world.chats[world.kader_a])
    assert any("mungkin sama" in text for text in asked)


async def test_residents_and_staff_who_choose_so_get_the_resident_flow(app: App) -> None:
    world = await build_world(app)
    resident = Chat(app, user_id="8802")
    await resident.text("/lapor")
    assert "boleh anonim" in resident.texts and (await resident.state()).flow == "report"  # type: ignore[union-attr]
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    await cadre.text("/start")
    assert "Catat kasus" in cadre.labels()
    await cadre.press("Catat kasus")
    assert (await cadre.chat.state()).flow == "intake"  # type: ignore[union-attr]
    await cadre.press("Sebagai warga")
    assert (await cadre.chat.state()).flow == "report"  # type: ignore[union-attr]


async def test_a_recorded_case_follows_the_ladder_of_an_accepted_case(app: App) -> None:
    from bot.escalation.ladder import sweep

    world = await build_world(app)
    await record_everything(Cadre(Chat(app, user_id=world.chats[world.kader_a])))
    case = await only_case(app)
    assert case.due_at is not None
    app.clock.set(case.due_at + timedelta(minutes=1))  # type: ignore[attr-defined]
    result = await sweep(app, app.clock.now())
    assert result.acted >= 1 and case.id in result.case_ids
    later = await only_case(app)
    assert later.due_at is not None and later.due_at > case.due_at


async def test_changing_answers_from_the_summary(app: App) -> None:
    world = await build_world(app)
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    await cadre.text("/lapor")
    for label in ("Tidak sekarang", "Kekerasan fisik", "6–12 tahun", "Perempuan", "✅"):
        await cadre.press(label)
    for label in ("Lewati", "Lewati", "Lewati", "Lewati", "Korban", "Bertemu, jangan"):
        await cadre.press(label)
    await cadre.press("Ubah")
    await cadre.press("Bentuk kekerasan")
    await cadre.press("Kekerasan psikis")  # several may be chosen when changing
    summary = await cadre.press("Lanjut")
    assert "Kekerasan fisik, Kekerasan psikis" in summary
    await cadre.press("Ubah")
    await cadre.press("Usia/kelamin korban")
    await cadre.text("15")
    summary = await cadre.press("Laki-laki, disabilitas")
    assert "13–17 tahun, Laki-laki (15 tahun), penyandang disabilitas" in summary
    await cadre.press("Simpan kasus")
    case = await only_case(app)
    assert case.categories == ["fisik", "psikis"] and case.victim_sex == "l"
    assert case.source_consent is False and case.victim_age_years == 15
