"""Driving the staff intake in tests: a linked cadre (tests/support/casework_fixtures.py's world) answers
by pressing buttons chosen by their labels, and every action is counted."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from bot.core.app import App
from models import Case
from tests.support.chat import Chat


@dataclass
class Cadre:
    """A staff member's chat; `press` takes a label (or a part of one), never an option id."""

    chat: Chat
    actions: int = 0

    async def text(self, text: str) -> str:
        self.actions += 1
        await self.chat.text(text)
        return self.chat.texts

    async def press(self, label: str) -> str:
        options = [o for o in self.chat.options if label in o.label]
        assert options, f"no button {label!r} in {[o.label for o in self.chat.options]}"
        self.actions += 1
        await self.chat.option(options[0].id)
        return self.chat.texts

    def labels(self) -> list[str]:
        return [o.label for o in self.chat.options]


async def record_everything(cadre: Cadre) -> str:
    """Every question answered, the kelurahan the cadre's own: the confirmation's text."""
    await cadre.text("/lapor")
    await cadre.press("Tidak sekarang")
    await cadre.press("Kekerasan fisik")
    await cadre.press("6–12 tahun")
    await cadre.press("Perempuan")
    await cadre.text("RT 03 RW 02, dekat masjid")  # at the cadre's own kelurahan: confirms it
    await cadre.press("Hari ini")
    await cadre.text("Ibu korban bercerita anaknya sering dipukul ayahnya.")
    await cadre.press("Rumah tangga")
    await cadre.press("Orang tua")
    await cadre.press("Keluarga")
    await cadre.press("Bertemu, boleh dikontak")
    await cadre.text("Bu Rina 0812-3456-7890")
    return await cadre.press("Simpan kasus")


async def only_case(app: App) -> Case:
    async with app.db.transaction() as session:
        [case] = (await session.scalars(select(Case))).all()
        return case
