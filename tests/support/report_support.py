"""The report flow in tests: areas of Kota Jambi, the stored cases, a report up to its summary."""

from __future__ import annotations

from sqlalchemy import func, select

from bot.cases.areas import import_areas
from bot.core.app import App
from models import Case
from tests.support.chat import Chat

KEC_TELANAIPURA = "15.71.01"
KEL_SIMPANG_IV_SIPIN = "15.71.01.1001"


async def seed_areas(app: App) -> None:
    async with app.db.transaction() as session:
        await import_areas(session, "15.71")


async def case_count(app: App) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(Case)) or 0)


async def all_cases(app: App) -> list[Case]:
    async with app.db.transaction() as session:
        return list((await session.scalars(select(Case).order_by(Case.id))).all())


async def report_until_summary(chat: Chat, *, danger: bool = False) -> None:
    """Answers every question with a first choice, up to the summary (sent with "send": contact ok)."""
    await chat.text("/start")
    await chat.press("y" if danger else "n")
    await chat.press("fisik")
    await chat.press("ok")
    await chat.press("6-12")
    await chat.press("p")
    await chat.press(KEC_TELANAIPURA)
    await chat.press(KEL_SIMPANG_IV_SIPIN)
    await chat.text("RT 03 RW 02, dekat masjid")
    if not danger:
        await chat.press("today")
    await chat.text("Anak tetangga sering dipukul ayahnya.")
    if not danger:
        await chat.press("rumah_tangga")
        await chat.press("orang_tua")
        await chat.press("tetangga_saksi")
