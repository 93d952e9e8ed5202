"""The issue's bad-input list: each gets a clear, kind reply and the flow stays where it was."""

from __future__ import annotations

from bot.core.app import App
from tests.support.chat import Chat
from tests.support.report_support import KEL_SIMPANG_IV_SIPIN, all_cases, case_count, seed_areas


async def _at(chat: Chat, step: str) -> None:
    """Walks a fresh report to `step`."""
    await chat.text("/start")
    path = ["n", "fisik", "ok", "6-12", "p", "15.71.01", KEL_SIMPANG_IV_SIPIN, "-", "today"]
    order = ["danger", "cat", "cat", "age", "sex", "kec", "kel", "loc", "when", "desc"]
    for value, current in zip(path, order, strict=False):
        if current == step:
            break
        await chat.press(value)
    assert await chat.step() == step


async def test_typed_answers_are_matched_to_the_buttons(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await chat.text("/start")
    await chat.text("tidak")
    assert await chat.step() == "cat"
    await chat.text("fisik, psikis")
    await chat.text("lanjut")
    assert await chat.step() == "age"
    await chat.text("9")  # years old: the 6–12 group
    await chat.text("perempuan")
    await chat.text("Kec. Telanai Pura")
    assert await chat.step() == "kel"
    await chat.text("simpang iv sipn")  # a typo
    assert await chat.step() == "loc"
    state = await chat.state()
    assert state is not None
    assert state.data["cat"] == ["fisik", "psikis"]
    assert (state.data["age"], state.data["sex"]) == ("6-12", "p")
    assert state.data["kel"] == KEL_SIMPANG_IV_SIPIN


async def test_text_that_matches_no_button_is_re_asked(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "age")
    await chat.text("entahlah saya bingung")
    assert "belum mengerti" in chat.replies[0].text
    assert chat.replies[-1].options  # the question again, with its buttons
    assert await chat.step() == "age"


async def test_sticker_is_refused_kindly(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "sex")
    await chat.media("sticker")
    assert "stiker" in chat.replies[0].text
    assert await chat.step() == "sex"


async def test_photo_at_a_text_step_is_kept_as_evidence(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "loc")
    await chat.media("photo", "PHOTO-1")
    assert "Bukti diterima" in chat.replies[0].text
    assert await chat.step() == "loc"
    await chat.press("-")
    await chat.press("today")
    await chat.media("voice", "VOICE-1")
    assert await chat.step() == "desc"
    assert "Lanjut" in chat.texts
    await chat.press("ok")
    assert await chat.step() == "place"
    await chat.press(">")
    await chat.press("send")
    [case] = await all_cases(app)
    assert case.evidence == [
        {"kind": "photo", "file_id": "PHOTO-1"},
        {"kind": "voice", "file_id": "VOICE-1"},
    ]


async def test_ten_thousand_characters_are_cut_to_the_limit_and_told(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "desc")
    await chat.text("a" * 10_000)
    assert "2000" in chat.replies[0].text
    assert await chat.step() == "place"
    state = await chat.state()
    assert state is not None and len(state.data["desc"]) == 2000


async def test_emoji_only_is_not_a_description(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "desc")
    await chat.text("😢😢😢")
    assert "kata-kata" in chat.replies[0].text
    assert await chat.step() == "desc"
    await chat.text("🙏")
    assert await chat.step() == "desc"


async def test_emoji_only_at_a_button_step(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "cat")
    await chat.text("👍")
    assert "belum mengerti" in chat.replies[0].text
    assert await chat.step() == "cat"


async def test_unknown_command_keeps_the_step(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "age")
    await chat.text("/hapus_semua")
    assert "tidak kami kenal" in chat.texts
    assert await chat.step() == "age"


async def test_stray_location_and_contact(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "age")
    await chat.location()
    assert "Titik lokasi diterima" in chat.replies[0].text
    assert await chat.step() == "age"
    await chat.contact()
    assert "tidak kami simpan" in chat.replies[0].text
    assert await chat.step() == "age"
    state = await chat.state()
    assert state is not None and "+62" not in str(state.data)


async def test_button_from_an_older_question(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "sex")
    await chat.option("r:danger:y", prompt="m-old")
    assert "sudah tidak berlaku" in chat.replies[0].text
    assert chat.replies[0].edit_message_id == "m-old"
    state = await chat.state()
    assert state is not None and state.step == "sex" and "danger" in state.data
    assert state.data["danger"] is False


async def test_button_from_a_finished_flow(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "age")
    await chat.text("/batal")
    await chat.option("r:age:6-12")
    assert "sudah tidak berlaku" in chat.texts
    state = await chat.state()
    assert state is not None and state.flow is None
    await chat.option("zz:whatever")  # a prefix nobody registered
    assert "sudah tidak berlaku" in chat.texts


async def test_forged_option_values_change_nothing(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "kec")
    for forged in ("r:kec:99.99", "r:kec:p999", "r:kec:", "r:kec:" + "x" * 200):
        await chat.option(forged)
        assert await chat.step() == "kec"
    await chat.option("r:kec:p1")
    await chat.option("r:kec:15.71.01")
    await chat.option("r:kel:15.71.09.1001")  # another kecamatan's kelurahan: kec follows it
    state = await chat.state()
    assert state is not None and state.data["kec"] == "15.71.09"
    assert await case_count(app) == 0


async def test_category_continue_without_a_choice(app: App) -> None:
    await seed_areas(app)
    chat = Chat(app)
    await _at(chat, "cat")
    await chat.press("ok")
    assert "minimal satu" in chat.replies[0].text
    await chat.press("fisik")
    await chat.press("fisik")  # pressed again: unselected
    state = await chat.state()
    assert state is not None and state.data.get("cat") == []
