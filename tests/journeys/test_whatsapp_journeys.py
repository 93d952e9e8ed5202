"""A whole story on WhatsApp (issue 15): the cadre links by writing from their registered number,
a resident reports through signed webhook POSTs into `patbm run`, pressing the reply buttons and
list rows the fake Graph API received (≤ 3 buttons, ≤ 10 rows: the fake refuses more), and the
cadre gets the case, accepts it and reads it in words; the resident hears of it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core.db import Database
from tests.fakes.whatsapp_api import FakeWhatsAppAPI, limit_problems
from tests.journeys.figures import record
from tests.journeys.harness import World
from tests.journeys.whatsapp_person import WhatsAppPerson
from tests.journeys.words import codes_shown
from tests.support.factories import jambi

pytestmark = pytest.mark.journey

CADRE = "6281200000201"
RESIDENT = "6281399990001"
STORY = "Anak tetangga sering dipukul ayahnya."
REFERENCE = re.compile(r"\b[A-Z]{3}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")


@pytest.fixture
async def world(
    db: Database, database_url: str, graph: FakeWhatsAppAPI, tmp_path: Path
) -> AsyncIterator[World]:
    async with db.transaction() as session:  # the `db` fixture made (or emptied) the schema
        await jambi(session)
    (tmp_path / "staff.csv").write_text(
        "name,phone,role,area_code\nAni Kader,081200000201,kader,15.71.01.1001\n"
    )
    world = World(database_url, tmp_path, whatsapp=graph)
    await world.patbm_async("staff", "import", "staff.csv")
    try:
        await world.start()
        yield world
    finally:
        await world.close()


async def test_a_whatsapp_report_reaches_the_cadre_who_accepts_it(world: World) -> None:
    cadre = WhatsAppPerson(world, CADRE)
    linked = await cadre.say("Selamat pagi")  # a registered number links with any message
    assert "terhubung" in linked, linked

    resident = WhatsAppPerson(world, RESIDENT)
    welcome = await resident.say("Halo")
    assert "dalam bahaya SEKARANG" in welcome and "/daftar" in welcome
    assert len(resident.messages()) == 1  # the welcome and the first question: one message
    for words in ("tidak sekarang", "kekerasan fisik", "lanjut", "6-12", "perempuan"):
        await resident.press(words)
    await resident.press("telanaipura")  # the 10-row list pages the 11 kecamatan
    await resident.press("simpang iv sipin")
    await resident.say("RT 03 RW 02, dekat masjid")
    await resident.press("hari ini")
    await resident.say(STORY)
    for words in ("rumah tangga", "orang tua", "tetangga"):
        await resident.press(words)
    confirmation = await resident.press("boleh dihubungi")
    found = REFERENCE.search(confirmation)
    assert found is not None, confirmation
    reference = found.group()
    record("actions, report answering every question (WhatsApp)", resident.actions)

    offer = await cadre.hear("Ada laporan baru", reference)
    assert STORY not in offer
    details = await cadre.press("terima")
    assert reference in details and STORY in details and codes_shown(details) == [], details
    await resident.hear("diterima oleh kader", reference)

    graph = world.whatsapp
    assert graph is not None
    assert graph.refused == []
    assert [limit_problems(m) for m in graph.sent if limit_problems(m)] == []
    await world.stop()
