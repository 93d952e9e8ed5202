"""How many actions a report takes (issue 15): every question answered <= 15, the quickest <= 10.

An action is what a person does: a command, a button press, a typed answer. The areas come on
one keyboard on Telegram (no paging where they fit); WhatsApp's list pages them itself.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from bot.channels.telegram import render as telegram_render
from bot.channels.whatsapp import render as whatsapp_render
from bot.core.app import App
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from tests.support.chat import Chat
from tests.support.report_support import (
    KEC_TELANAIPURA,
    KEL_SIMPANG_IV_SIPIN,
    all_cases,
    seed_areas,
)


@dataclass
class CountingChat:
    chat: Chat
    actions: int = 0

    async def text(self, text: str) -> None:
        self.actions += 1
        await self.chat.text(text)

    async def press(self, needle: str) -> None:
        self.actions += 1
        await self.chat.press(needle)


async def test_answering_every_question_takes_at_most_15_actions(app: App) -> None:
    await seed_areas(app)
    person = CountingChat(Chat(app))
    await person.text("/start")
    for value in ("n", "fisik", "ok", "6-12", "p", KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN):
        await person.press(value)
    await person.text("RT 03 RW 02, dekat masjid")
    await person.press("today")
    await person.text("Anak tetangga sering dipukul ayahnya.")
    for value in ("rumah_tangga", "orang_tua", "tetangga_saksi"):
        await person.press(value)
    assert await person.chat.step() == "summary"
    await person.press("send")  # "may contact me" is answered with the send button
    [case] = await all_cases(app)
    assert case.place == "rumah_tangga" and case.reporter_role == "tetangga_saksi"
    assert case.contact_consent and case.location_detail and case.description
    assert person.actions <= 15, person.actions


async def test_the_quickest_report_takes_at_most_10_actions(app: App) -> None:
    await seed_areas(app)
    for danger in ("n", "y"):
        person = CountingChat(Chat(app, user_id=f"quick-{danger}"))
        await person.text("/start")
        for value in (danger, "fisik", "ok", "unk", "unk", KEC_TELANAIPURA, KEL_SIMPANG_IV_SIPIN):
            await person.press(value)
        await person.press(">")  # straight to the summary from the first optional question
        assert await person.chat.step() == "summary"
        await person.press("anon")
        assert "Nomor laporan" in person.chat.texts
        assert person.actions <= 10, (danger, person.actions)
    assert len(await all_cases(app)) == 2


async def _kecamatan_prompt(app: App) -> Reply:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    for value in ("n", "fisik", "ok", "6-12", "p"):
        await chat.press(value)
    [prompt] = chat.replies
    return prompt


async def test_telegram_shows_every_kecamatan_on_one_keyboard_in_two_columns(app: App) -> None:
    prompt = await _kecamatan_prompt(app)
    keyboard = telegram_render.render(prompt).inline
    assert keyboard is not None
    buttons = [b for row in keyboard.inline_keyboard for b in row]
    assert len(buttons) == 11 and all("." in str(b.callback_data) for b in buttons)
    assert [len(row) for row in keyboard.inline_keyboard] == [2, 2, 2, 2, 2, 1]


async def test_whatsapp_pages_the_same_reply_in_its_ten_row_list(app: App) -> None:
    prompt = await _kecamatan_prompt(app)
    [message] = whatsapp_render.render(prompt, Translator("id"))
    rows = message["interactive"]["action"]["sections"][0]["rows"]
    assert len(rows) == 10 and rows[-1]["id"] == "wa:pg:1"  # 9 kecamatan and "Berikutnya"
    second = whatsapp_render.render(
        Reply(text=prompt.text, options=prompt.options, extra={whatsapp_render.PAGE_KEY: 1}),
        Translator("id"),
    )
    later = second[0]["interactive"]["action"]["sections"][0]["rows"]
    assert [r["title"] for r in later[:2]] == ["Pelayangan", "Telanaipura"]


def test_a_keyboard_beyond_telegrams_limit_is_a_handler_bug() -> None:
    many = tuple(Option(f"r:kel:{i}", f"Desa {i}") for i in range(101))
    with pytest.raises(telegram_render.RenderError):
        telegram_render.render(Reply(text="?", options=many))
    assert telegram_render.render(Reply(text="?", options=many[:100])).inline is not None
