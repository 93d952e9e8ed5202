"""Nothing the resident writes is dropped: captions on photos, voice notes, videos, documents."""

from __future__ import annotations

from bot.core.i18n import Translator
from bot.evidence.rules import MAX_BYTES, MAX_FILES
from bot.messaging.messages import Inbound, Media
from handlers.base import ConversationState
from handlers.report import steps
from handlers.report.context import Ctx
from handlers.report.summary import summary_text


def _ctx() -> Ctx:
    return Ctx(t=Translator("id"), areas=None, emergency_lines=["112"])


def _state(step: str, **data: object) -> ConversationState:
    return ConversationState(flow="report", step=step, data={"key": "k", "pin": "1", **data})


def _media(kind: str = "photo", caption: str | None = None, **media: object) -> Inbound:
    return Inbound(
        "telegram",
        "u",
        "u",
        text=caption,
        media=Media(kind, f"F{kind}", **media),  # type: ignore[arg-type]
    )


def test_a_caption_at_the_story_step_is_the_story_in_order() -> None:
    state = _state("desc")
    out = steps.handle(state, _media(caption="Anak itu dipukul ayahnya."), _ctx())
    assert state.step == "desc" and state.data["desc"] == "Anak itu dipukul ayahnya."
    assert "tulisan Anda diterima" in out.replies[0].text
    steps.handle(state, _media("voice", caption="Ini suara teriakannya."), _ctx())
    steps.handle(state, Inbound("telegram", "u", "u", text="Sudah tiga kali minggu ini."), _ctx())
    assert state.data["desc"] == (
        "Anak itu dipukul ayahnya.\nIni suara teriakannya.\nSudah tiga kali minggu ini."
    )
    assert state.step == "place"
    assert [e["kind"] for e in state.data["evidence"]] == ["photo", "voice"]
    assert all("caption" not in e for e in state.data["evidence"])


def test_a_caption_elsewhere_stays_with_its_file_and_the_summary_shows_it() -> None:
    state = _state("place", desc="Cerita singkat.")
    steps.handle(state, _media("document", caption="surat visum puskesmas"), _ctx())
    assert state.step == "place"
    (item,) = state.data["evidence"]
    assert item["caption"] == "surat visum puskesmas"
    text = summary_text(state.data, _ctx())
    assert "Cerita: Cerita singkat." in text and "surat visum puskesmas" in text


def test_a_file_that_cannot_be_kept_keeps_its_words() -> None:
    state = _state("place")
    out = steps.handle(state, _media(caption="foto kejadian", file_size=MAX_BYTES + 1), _ctx())
    texts = "\n".join(r.text for r in out.replies)
    assert "terlalu besar" in texts and "10 MB" in texts
    assert "evidence" not in state.data and state.data["desc"] == "foto kejadian"
    sticker = _state("desc")
    steps.handle(sticker, _media("sticker", caption="tolong"), _ctx())
    assert sticker.data["desc"] == "tolong" and "evidence" not in sticker.data


def test_at_most_the_stated_number_of_files() -> None:
    state = _state("desc")
    for _ in range(MAX_FILES + 1):
        out = steps.handle(state, _media(), _ctx())
    assert len(state.data["evidence"]) == MAX_FILES
    assert f"({MAX_FILES} berkas)" in out.replies[0].text
