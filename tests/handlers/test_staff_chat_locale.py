"""Every staff-side text has its English translation, and English-speaking staff get it."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from bot.core.app import App
from models import Staff
from tests.support.casework_fixtures import KEL2, build_world, report, texts_to

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    "bot/cases/notify.py",
    "bot/cases/authz.py",
    "bot/cases/routing.py",
    "bot/cases/texts.py",
    "bot/cases/duplicates.py",
    "bot/casework/actions.py",
    "bot/casework/lists.py",
    "bot/casework/relay.py",
    "handlers/relay.py",
    *(str(p.relative_to(ROOT)) for p in (ROOT / "handlers" / "staff").glob("*.py")),
]


def test_every_msgid_has_an_english_text() -> None:
    with (ROOT / "bot/core/locale/en/LC_MESSAGES/staff.po").open("rb") as handle:
        catalog = read_po(handle, locale="en")
    translated = {m.id for m in catalog if m.id and m.string}
    found: set[str] = set()
    for source in SOURCES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(ROOT / source), keywords={"t": None, "N_": None}
        ):
            if isinstance(message, str):  # t(variable) yields no literal
                found.add(message)
    assert len(found) > 100
    assert sorted(found - translated) == []


async def test_english_speaking_cadre_gets_english(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        staff = await session.get(Staff, world.kader_c)
        assert staff is not None
        staff.language = "en"
    await report(app, kelurahan=KEL2)
    (text,) = await texts_to(app, world.chats[world.kader_c])
    assert "There is a new report for you." in text and "Victim's age: 6–12 years" in text
