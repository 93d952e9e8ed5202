from sqlalchemy import func, select

from bot.cases.areas import import_areas
from bot.core.app import App
from models import Area


async def test_areas_import_is_idempotent(app: App) -> None:
    async with app.db.transaction() as session:
        first = await import_areas(session, "15.71")
    async with app.db.transaction() as session:
        second = await import_areas(session, "15.71")
        count = await session.scalar(select(func.count()).select_from(Area))
    assert (first.kecamatan, first.kelurahan) == (11, 68)
    assert second.added == 0 and second.updated == 0
    assert count == 80
