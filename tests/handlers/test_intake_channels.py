"""The intake on WhatsApp (3 buttons, 10 rows, short titles) and in the staff member's language."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from bot.channels.whatsapp.render import BUTTON_TITLE, ROW_TITLE, render
from bot.core.app import App
from bot.core.i18n import Translator
from bot.messaging.messages import Reply
from handlers.intake.context import IntakeCtx
from handlers.intake.labels import PLACES, RELATIONS, STEPS
from handlers.intake.prompts import prompt
from handlers.report.area_cache import AREA_INDEXES
from handlers.report.labels import EDITABLE as EDITS
from models import ChatIdentity, Staff
from tests.fakes.whatsapp_api import limit_problems
from tests.support.casework_fixtures import KEC1, KEL1, build_world
from tests.support.chat import Chat
from tests.support.intake_support import Cadre, record_everything

SHARED = {
    language: {
        Translator(language)(label)
        for label in (*RELATIONS.values(), *PLACES.values(), *(e[1] for e in EDITS.values()))
    }
    for language in ("id", "en")
}
DRAFT: dict[str, Any] = {"kel": KEL1, "kec": KEC1, "cat": ["fisik"], "age": "6-12", "sex": "p"}


@pytest.mark.parametrize("language", ["id", "en"])
async def test_every_question_fits_whatsapp_without_cutting_a_label(
    app: App, language: str
) -> None:
    await build_world(app)
    async with app.db.transaction() as session:
        areas = await AREA_INDEXES.get(app.db, session, app.settings)
    t = Translator(language)
    ctx = IntakeCtx(
        t=t,
        areas=areas,
        emergency_lines=app.settings.emergency_lines(),
        own_kelurahan=KEL1,
        kecamatan=KEC1,
        coordinator=True,
        cadres=[(1, "★ Ani Kader · 0 kasus"), (2, "Budi Kader · 2 kasus")],
    )
    for step in (*STEPS, "edit"):
        for data in (DRAFT, {**DRAFT, "multi": True, "desc": "cerita"}):
            reply = prompt(step, dict(data), ctx)
            messages = render(reply, t)
            assert all(limit_problems(m) == [] for m in messages), step
            limit = BUTTON_TITLE if len(reply.options) <= 3 else ROW_TITLE
            # Place and people's names are their own; the vocabulary's answers are the resident
            # flow's words (and its edit menu's), cut the same way there.
            if step not in {"kelpick", "kel", "assign"}:
                too_long = [
                    o.label
                    for o in reply.options
                    if len(o.label) > limit and o.label not in SHARED[language]
                ]
                assert too_long == [], (step, too_long)


async def test_an_english_speaking_cadre_records_in_english(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        await session.execute(update(Staff).where(Staff.id == world.kader_a).values(language="en"))
    cadre = Cadre(Chat(app, user_id=world.chats[world.kader_a]))
    said = await cadre.text("/lapor")
    assert "Record a case you came across" in said
    assert "As a resident" in cadre.labels()
    await cadre.press("Not right now")
    await cadre.press("Physical violence")
    assert "age group" in cadre.chat.texts


async def test_a_cadre_records_on_whatsapp_within_its_limits(app: App) -> None:
    world = await build_world(app)
    async with app.db.transaction() as session:
        session.add(
            ChatIdentity(
                channel="whatsapp",
                external_id="6281200000001",
                chat_id="6281200000001",
                staff_id=world.kader_a,
                created_at=app.clock.now(),
            )
        )
    chat = Chat(app, user_id="6281200000001", channel="whatsapp")
    seen: list[Reply] = []
    original = chat.send

    async def send(text: str | None = None, **fields: Any) -> list[Reply]:
        replies = await original(text, **fields)
        seen.extend(replies)
        return replies

    chat.send = send  # type: ignore[method-assign]
    cadre = Cadre(chat)
    confirmation = await record_everything(cadre)
    assert "/status" in confirmation and cadre.actions <= 14
    t = Translator("id")
    for reply in seen:
        for message in render(reply, t):
            assert limit_problems(message) == [], message
