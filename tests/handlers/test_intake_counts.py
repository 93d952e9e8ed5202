"""Cases cadres record are counted apart (issue 18): stats, the SIMFONI-PPA export, the digests.

The source's name and phone never leave the case view: not in an export, a digest or stats.
"""

from __future__ import annotations

import csv
import io

from bot.core.app import App
from bot.reporting.digest import digest_text_for
from bot.reporting.export import write_csv
from bot.reporting.facts import Period, load_case_rows
from bot.reporting.stats import gather_stats
from bot.reporting.stats_text import render
from models import Staff
from tests.support.casework_fixtures import KEL2, build_world, report
from tests.support.chat import Chat
from tests.support.intake_support import Cadre, record_everything


async def _one_of_each(app: App) -> int:
    world = await build_world(app)
    await report(app, kelurahan=KEL2)  # a resident's, through the bot
    await record_everything(Cadre(Chat(app, user_id=world.chats[world.kader_a])))
    return world.dinas


async def test_stats_and_export_split_the_two_sources(app: App) -> None:
    await _one_of_each(app)
    async with app.db.transaction() as session:
        rows = await load_case_rows(session, Period())
        now = app.clock.now()
        stats = await gather_stats(session, Period(), now=now, describe="semua kasus")
        english_stats = await gather_stats(
            session, Period(), now=now, describe="all", language="en"
        )
    assert sorted(r.source for r in rows) == ["dicatat_kader", "laporan_warga"]
    text = render(stats)
    assert "Sumber informasi" in text
    assert any("Dicatat kader PATBM" in line and " 1 " in line for line in text.splitlines())
    assert any("Laporan warga lewat bot" in line and " 1 " in line for line in text.splitlines())
    english = render(english_stats)
    assert "Recorded by a PATBM cadre" in english
    out = io.StringIO()
    write_csv(rows, out, app.settings.zone)
    exported = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert sorted(r["Sumber Informasi"] for r in exported) == [
        "Laporan Masyarakat",
        "Penjangkauan Kader PATBM",
    ]
    assert "Rina" not in out.getvalue() and "0812" not in out.getvalue()


async def test_digests_say_how_many_new_cases_cadres_recorded(app: App) -> None:
    dinas_id = await _one_of_each(app)
    async with app.db.transaction() as session:
        dinas = await session.get(Staff, dinas_id)
        assert dinas is not None
        text = await digest_text_for(session, dinas, app.clock.now(), app.settings)
    assert "Laporan baru sejak kemarin: 2" in text
    assert "  - Dicatat kader PATBM: 1" in text and "  - Laporan warga lewat bot: 1" in text
    assert "Rina" not in text and "0812" not in text
