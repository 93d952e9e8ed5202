"""Forgiving area names and paged area lists."""

from __future__ import annotations

import pytest

from bot.cases.areas import import_areas
from bot.core.app import App
from handlers.report.areas import AreaIndex, Place, load_area_index, match_places, normalise_name
from tests.support.chat import Chat
from tests.support.report_support import seed_areas

KEC = [
    Place("1.1", "Telanaipura", "1"),
    Place("1.2", "Jambi Selatan", "1"),
    Place("1.3", "Jambi Timur", "1"),
    Place("1.4", "Danau Sipin", "1"),
    Place("1.5", "Danau Teluk", "1"),
]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("telanaipura", ["1.1"]),
        ("  TELANAI   PURA ", ["1.1"]),
        ("Kec. Telanaipura", ["1.1"]),
        ("kecamatan telanaipura", ["1.1"]),
        ("telanipura", ["1.1"]),  # a typo
        ("jambi", ["1.2", "1.3"]),  # ambiguous: both candidates
        ("danau", ["1.4", "1.5"]),
        ("xyzzy", []),
        ("ja", []),  # too short to mean anything
    ],
)
def test_match_places(typed: str, expected: list[str]) -> None:
    assert [p.code for p in match_places(typed, KEC)] == expected


def test_prefixes_are_ignored() -> None:
    assert normalise_name("Kel. Simpang IV Sipin") == "simpangivsipin"
    assert normalise_name("Desa Sungai Duren") == "sungaiduren"
    assert normalise_name("kelurahan  Beliung") == "beliung"


async def test_area_index_of_kota_jambi(app: App) -> None:
    await seed_areas(app)
    async with app.db.transaction() as session:
        index = await load_area_index(session, app.settings)
    assert isinstance(index, AreaIndex)
    assert index.kota_name == "Jambi" or "Jambi" in index.kota_name
    assert len(index.kecamatan) == 11 and len(index.all_kelurahan()) == 68
    assert index.is_kecamatan("15.71.01") and not index.is_kecamatan("15.71.01.1001")


async def test_no_areas_imported_yet(app: App) -> None:
    async with app.db.transaction() as session:
        assert await load_area_index(session, app.settings) is None


async def test_every_kecamatan_on_one_keyboard(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    for value in ("n", "fisik", "ok", "6-12", "p"):
        await chat.press(value)
    shown = [o for o in chat.options if o.id.count(".") >= 1]
    assert len(shown) == 11  # all of Kota Jambi's kecamatan, no paging
    assert not [o for o in chat.options if ":p" in o.id]


async def test_ambiguous_typed_name_offers_candidates(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    for value in ("n", "fisik", "ok", "6-12", "p"):
        await chat.press(value)
    await chat.text("jambi")
    assert "beberapa yang mirip" in chat.texts
    labels = {o.label for o in chat.options}
    assert {"Jambi Selatan", "Jambi Timur"} <= labels
    assert await chat.step() == "kec"
    await chat.press("Jambi Timur")
    assert await chat.step() == "kel"


async def test_unknown_typed_name_shows_the_list_again(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    for value in ("n", "fisik", "ok", "6-12", "p"):
        await chat.press(value)
    await chat.text("Bandung Kulon")
    assert "tidak kami temukan" in chat.replies[0].text
    assert len(chat.replies[-1].options) == 11  # every kecamatan again
    assert await chat.step() == "kec"


async def test_area_index_is_kept_then_read_again_after_its_time_bound(app: App) -> None:
    from sqlalchemy import update

    from handlers.report.area_cache import AreaIndexCache
    from models import Area

    now = [0.0]
    cache = AreaIndexCache(ttl_seconds=60, monotonic=lambda: now[0])
    async with app.db.transaction() as session:
        assert await cache.get(app.db, session, app.settings) is None  # nothing imported yet
    await seed_areas(app)
    async with app.db.transaction() as session:
        first = await cache.get(app.db, session, app.settings)
    assert first is not None and first.get("15.71.01") is not None
    # Another process renames an area (as `patbm areas import` would): not seen at once ...
    async with app.db.transaction() as session:
        await session.execute(update(Area).where(Area.code == "15.71.01").values(name="Baru"))
    now[0] = 59.0
    async with app.db.transaction() as session:
        assert await cache.get(app.db, session, app.settings) is first
    # ... but within the time bound.
    now[0] = 60.0
    async with app.db.transaction() as session:
        fresh = await cache.get(app.db, session, app.settings)
    assert fresh is not first and fresh is not None
    assert fresh.get("15.71.01") == Place("15.71.01", "Baru", "15.71")


async def test_an_import_in_this_process_is_seen_at_once(app: App) -> None:
    from handlers.report.area_cache import AreaIndexCache

    cache = AreaIndexCache(ttl_seconds=3600, monotonic=lambda: 0.0)
    await seed_areas(app)
    async with app.db.transaction() as session:
        first = await cache.get(app.db, session, app.settings)
    await seed_areas(app)  # re-import: the same areas, a new generation
    async with app.db.transaction() as session:
        again = await cache.get(app.db, session, app.settings)
    assert first is not None and again is not None and again is not first


async def test_each_database_counts_its_own_imports(app: App) -> None:
    from bot.core.db import Database, database_of
    from handlers.report.area_cache import AreaIndexCache

    cache = AreaIndexCache(ttl_seconds=3600, monotonic=lambda: 0.0)
    await seed_areas(app)
    async with app.db.transaction() as session:
        assert database_of(session) is app.db
        first = await cache.get(app.db, session, app.settings)
    # Another Database (another test's, or another process's on the same data): its import
    # is its own; this database's index stays until its time bound.
    other = Database(app.settings.database_url)
    try:
        async with other.transaction() as session:
            await import_areas(session, "15.71")
    finally:
        await other.dispose()
    assert other.areas_generation == 1 and app.db.areas_generation == 1
    async with app.db.transaction() as session:
        assert await cache.get(app.db, session, app.settings) is first
