"""Evidence end to end, over real HTTP to the fakes: a WhatsApp resident's photos and voice note
reach the Telegram cadre byte for byte; forged presses get nothing; stored bytes need the key;
an oversized file is refused kindly and the report still arrives; retention removes the files."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import select, text

from bot.admin.keys import reencrypt, under_key
from bot.admin.retention import apply_retention
from bot.admin.staff import add_staff
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.core.clock import FixedClock
from bot.core.crypto import KeyRing, set_keyring
from bot.evidence.rules import MAX_BYTES
from models import Case, CaseEvent, CaseEvidence, CaseStatus, ChatIdentity, EvidenceStatus
from tests.fakes import whatsapp_payloads as p
from tests.fakes.telegram_api import FakeTelegram
from tests.support.evidence_support import TwoChannels, two_channels
from tests.support.report_support import KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN, seed_areas

pytestmark = pytest.mark.slow

RESIDENT = "6281355550001"
CADRE_TG = 5101
OTHER_CADRE_TG = 5102  # a cadre of another kelurahan
PHOTO_1 = b"\xff\xd8\xff\xe0" + b"bruise on the arm " * 4000
PHOTO_2 = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 300
VOICE = b"OggS" + b"\x00\x01voice note" * 5000
STORY = "Anak tetangga sering dipukul ayahnya, tadi malam terdengar lagi."


@pytest.fixture
def fake_tg() -> Iterator[FakeTelegram]:
    with FakeTelegram.running() as fake:
        yield fake


@pytest.fixture
async def system(app: App, fake_tg: FakeTelegram) -> AsyncIterator[TwoChannels]:
    await seed_areas(app)
    now = app.clock.now()
    async with app.db.transaction() as session:
        for name, phone, area, user in (
            ("Siti Kader", "081200005101", KEL_SIMPANG_IV_SIPIN, CADRE_TG),
            ("Rina Kader", "081200005102", "15.71.01.1002", OTHER_CADRE_TG),
        ):
            staff = await add_staff(session, name, phone, "kader", area, now)
            session.add(
                ChatIdentity(
                    channel="telegram",
                    external_id=str(user),
                    chat_id=str(user),
                    staff_id=staff.id,
                    created_at=now,
                )
            )
    async with two_channels(app, fake_tg) as both:
        yield both


async def _choose(system: TwoChannels, step: str, value: str) -> None:
    option = f"r:{step}:{value}"
    await system.whatsapp(p.button_reply(system.wamid(), RESIDENT, option, "Pilih"))


async def report_with_files(system: TwoChannels, files: list[p.Value], *, contact: str) -> None:
    """A report on WhatsApp; `files` are sent at the story step, after the first question."""
    await system.whatsapp(p.text_message(system.wamid(), RESIDENT, "Halo"))
    for step, value in (
        ("danger", "n"),
        ("cat", "fisik"),
        ("cat", "ok"),
        ("age", "6-12"),
        ("sex", "p"),
        ("kec", KEC_TELANAIPURA),
        ("kel", KEL_SIMPANG_IV_SIPIN),
        ("loc", "-"),
        ("when", "today"),
    ):
        await _choose(system, step, value)
    for file in files:
        await system.whatsapp(file)
    await _choose(system, "desc", "ok")
    for step, value in (
        ("place", "rumah_tangga"),
        ("rel", "orang_tua"),
        ("role", "tetangga_saksi"),
    ):
        await _choose(system, step, value)
    await _choose(system, "contact", contact)
    await _choose(system, "summary", "send")


async def _case(app: App) -> Case:
    async with app.db.transaction() as session:
        case: Case | None = await session.scalar(select(Case))
    assert case is not None
    return case


async def _events(app: App, kind: str) -> list[CaseEvent]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(CaseEvent).where(CaseEvent.kind == kind).order_by(CaseEvent.id)
        )
        return list(rows.all())


async def test_whatsapp_files_reach_the_telegram_cadre_byte_for_byte(
    system: TwoChannels, clock: FixedClock
) -> None:
    app, wa, tg = system.app, system.wa, system.tg
    wa.add_media("wa-photo-1", PHOTO_1, "image/jpeg")
    wa.add_media("wa-photo-2", PHOTO_2, "image/jpeg")
    wa.add_media("wa-voice-1", VOICE, "audio/ogg; codecs=opus")
    await report_with_files(
        system,
        [
            # The story comes as the first photo's caption, as many people send it.
            p.image_message(system.wamid(), RESIDENT, "wa-photo-1", caption=STORY),
            p.voice_message(system.wamid(), RESIDENT, "wa-voice-1"),
            p.image_message(system.wamid(), RESIDENT, "wa-photo-2"),
        ],
        contact="y",
    )
    case = await _case(app)
    assert case.description == STORY  # the caption is the story, not dropped
    assert case.status == CaseStatus.DITUGASKAN
    assert sorted(wa.downloads) == ["wa-photo-1", "wa-photo-2", "wa-voice-1"]
    async with app.db.transaction() as session:
        rows = (await session.scalars(select(CaseEvidence).order_by(CaseEvidence.position))).all()
        assert [(r.kind, r.status, r.size) for r in rows] == [
            ("photo", "stored", len(PHOTO_1)),
            ("voice", "stored", len(VOICE)),
            ("photo", "stored", len(PHOTO_2)),
        ]
        assert rows[0].sha256 == hashlib.sha256(PHOTO_1).hexdigest()
        assert rows[1].mime_type == "audio/ogg"

    # The cadre accepts on Telegram; the case view offers "Lihat bukti".
    (accept,) = [b for b in system.tg_buttons(CADRE_TG) if b[0] == f"k:acc:{case.id}"]
    await system.tg_press(CADRE_TG, accept[0], accept[2])
    evidence_button = [b for b in system.tg_buttons(CADRE_TG) if b[0] == f"k:ev:{case.id}"]
    assert evidence_button and evidence_button[0][1] == "Lihat bukti"
    assert "Cerita pelapor" in "\n".join(tg.texts(CADRE_TG)) and STORY in "\n".join(
        tg.texts(CADRE_TG)
    )
    await system.tg_press(CADRE_TG, evidence_button[0][0], evidence_button[0][2])

    uploads = tg.uploads(CADRE_TG)
    assert [(u.method, u.content) for u in uploads] == [
        ("sendPhoto", PHOTO_1),
        ("sendVoice", VOICE),
        ("sendPhoto", PHOTO_2),
    ]
    assert any("3 berkas dikirim" in t for t in tg.texts(CADRE_TG))
    assert tg.texts(CADRE_TG)[-1].startswith("Bukti 3 dari 3")
    (viewed,) = await _events(app, "evidence_viewed")
    assert viewed.actor_staff_id is not None and len(viewed.data["evidence_ids"]) == 3
    # The outbox rows name the evidence row, never carry the bytes.
    async with app.db.transaction() as session:
        raw = (
            await session.execute(text("SELECT id FROM outbox WHERE kind = 'evidence' ORDER BY id"))
        ).all()
    assert len(raw) == 3

    # Forged presses: the resident on WhatsApp and a cadre of another kelurahan get nothing.
    denied_before = len(await _events(app, "access_denied"))
    await system.whatsapp(
        p.button_reply(system.wamid(), RESIDENT, f"k:ev:{case.id}", "Lihat bukti")
    )
    await system.tg_press(OTHER_CADRE_TG, f"k:ev:{case.id}")
    assert tg.uploads(OTHER_CADRE_TG) == []
    assert wa.uploads == []
    denied = (await _events(app, "access_denied"))[denied_before:]
    assert [(e.actor_kind, e.data["action"]) for e in denied] == [
        ("resident", "view"),
        ("staff", "view"),
    ]
    assert "hanya untuk petugas" in tg.texts(OTHER_CADRE_TG)[-1]
    assert len(await _events(app, "evidence_viewed")) == 1


async def test_stored_bytes_need_the_key_and_follow_rotation_and_retention(
    system: TwoChannels, clock: FixedClock
) -> None:
    app, wa = system.app, system.wa
    wa.add_media("wa-photo-1", PHOTO_1, "image/jpeg")
    await report_with_files(
        system, [p.image_message(system.wamid(), RESIDENT, "wa-photo-1")], contact="n"
    )
    case = await _case(app)
    async with app.db.transaction() as session:
        (token,) = (await session.execute(text("SELECT content FROM case_evidence"))).scalars()
    assert isinstance(token, str) and b"bruise" not in token.encode()
    with pytest.raises(InvalidToken):
        KeyRing([Fernet.generate_key().decode()]).decrypt_bytes(token)
    assert app.keyring is not None and app.keyring.decrypt_bytes(token) == PHOTO_1

    # Key rotation re-encrypts the file under the new key; it still reads the same.
    old = app.keyring
    new_key = Fernet.generate_key().decode()
    ring = KeyRing([new_key, *old.keys])
    set_keyring(ring)
    try:
        report = await reencrypt(app.db, ring)
        assert report.columns["case_evidence.content"].rewritten == 1
        async with app.db.transaction() as session:
            (rotated,) = (
                await session.execute(text("SELECT content FROM case_evidence"))
            ).scalars()
            assert under_key(rotated, new_key)
            row = await session.scalar(select(CaseEvidence))
            assert row is not None
            await session.refresh(row, ["content"])
            assert row.content == PHOTO_1
    finally:
        set_keyring(old)
        await reencrypt(app.db, KeyRing([*old.keys, new_key]))

    # Closed long ago: retention removes the files with the rest of the personal data.
    async with app.db.transaction() as session:
        stored = await session.get(Case, case.id)
        assert stored is not None
        stored.status = CaseStatus.DITUTUP
        stored.closed_at = clock.now() - timedelta(days=800)
    result = await apply_retention(app.db, clock.now(), 24, actor=Actor(kind="admin"))
    assert [c.case_id for c in result.cases] == [case.id]
    async with app.db.transaction() as session:
        assert (await session.scalars(select(CaseEvidence))).all() == []
    (anonymised,) = await _events(app, "anonymised")
    assert anonymised.data["files"] == 1


async def test_an_oversized_file_is_refused_kindly_and_the_report_arrives(
    system: TwoChannels,
) -> None:
    app, wa = system.app, system.wa
    wa.add_media("wa-big", b"\x00" * (MAX_BYTES + 1), "video/mp4")
    wa.add_media("wa-photo-2", PHOTO_2, "image/jpeg")
    await report_with_files(
        system,
        [
            p.image_message(system.wamid(), RESIDENT, "wa-photo-2", caption=STORY),
            p.video_message(system.wamid(), RESIDENT, "wa-big"),
        ],
        contact="y",
    )
    case = await _case(app)
    assert case.status == CaseStatus.DITUGASKAN and case.description == STORY
    async with app.db.transaction() as session:
        statuses = [
            (r.kind, r.status)
            for r in (await session.scalars(select(CaseEvidence).order_by(CaseEvidence.position)))
        ]
    assert statuses == [("photo", EvidenceStatus.STORED), ("video", EvidenceStatus.REFUSED)]
    (refused,) = await _events(app, "evidence_refused")
    assert refused.data["reason"] == "too_large"
    told = wa.texts_to(RESIDENT)[-1]
    assert case.reference in told and "terlalu besar" in told and "10 MB" in told
    # The cadre was told of the case as usual.
    assert any(case.reference in t for t in system.tg.texts(CADRE_TG))
