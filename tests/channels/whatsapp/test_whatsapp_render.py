"""A neutral Reply rendered for WhatsApp stays within every platform limit."""

from __future__ import annotations

from typing import Any

from bot.channels.whatsapp.render import PAGE_KEY, render, split_text, truncate
from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from tests.fakes.whatsapp_api import limit_problems

T = Translator("id")


def _options(count: int, label: str = "Pilihan") -> tuple[Option, ...]:
    return tuple(Option(id=f"r:{i}", label=f"{label} {i}") for i in range(count))


def _ok(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    for message in messages:
        assert limit_problems(message) == [], message
    return messages


def _rows(message: dict[str, Any]) -> list[dict[str, str]]:
    sections = message["interactive"]["action"]["sections"]
    return [row for section in sections for row in section["rows"]]


def test_plain_text_and_long_text_split() -> None:
    assert _ok(render(Reply("Halo"), T)) == [
        {"type": "text", "text": {"body": "Halo", "preview_url": False}}
    ]
    long = ("Kalimat panjang tentang laporan. " * 300).strip()
    messages = _ok(render(Reply(long), T))
    assert len(messages) == 3
    assert " ".join(m["text"]["body"] for m in messages) == long


def test_up_to_three_options_are_reply_buttons() -> None:
    (message,) = _ok(render(Reply("Apakah anak dalam bahaya?", _options(3)), T))
    interactive = message["interactive"]
    assert interactive["type"] == "button"
    assert [b["reply"]["id"] for b in interactive["action"]["buttons"]] == ["r:0", "r:1", "r:2"]


def test_four_options_become_a_list() -> None:
    (message,) = _ok(render(Reply("Pilih kecamatan", _options(4)), T))
    assert message["interactive"]["type"] == "list"
    assert [r["id"] for r in _rows(message)] == ["r:0", "r:1", "r:2", "r:3"]


def test_ten_options_fit_one_list() -> None:
    (message,) = _ok(render(Reply("Pilih", _options(10)), T))
    assert len(_rows(message)) == 10
    assert "footer" not in message["interactive"]


def test_twenty_five_kelurahan_become_a_paged_list() -> None:
    options = tuple(Option(id=f"r:kel:{i:02d}", label=f"Kelurahan {i:02d}") for i in range(25))
    reply = Reply("Pilih kelurahan", options)
    pages = []
    for page in range(3):
        shown = Reply.from_json({**reply.to_json(), "extra": {PAGE_KEY: page}})
        (message,) = _ok(render(shown, T))
        pages.append([r["id"] for r in _rows(message)])
        assert message["interactive"]["footer"]["text"] == f"Halaman {page + 1} dari 3"
    assert pages[0] == [f"r:kel:{i:02d}" for i in range(9)] + ["wa:pg:1"]
    assert pages[1] == [f"r:kel:{i:02d}" for i in range(9, 18)] + ["wa:pg:2"]
    assert pages[2] == [f"r:kel:{i:02d}" for i in range(18, 25)] + ["wa:pg:0"]
    # Every option appears exactly once across the pages.
    chosen = [i for page in pages for i in page if not i.startswith("wa:pg:")]
    assert chosen == [o.id for o in options]


def test_long_titles_are_cut_with_an_ellipsis_and_ids_unchanged() -> None:
    long = "Kekerasan seksual terhadap anak di lingkungan sekolah"
    buttons = (
        Option(id="r:a", label=long),
        Option(id="r:b", label=long + " lain"),
        Option(id="r:c", label="Tidak"),
    )
    (message,) = _ok(render(Reply("?", buttons), T))
    titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
    assert [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]] == [
        "r:a",
        "r:b",
        "r:c",
    ]
    assert all(len(t) <= 20 for t in titles) and titles[0].endswith("…")
    assert len(set(titles)) == 3  # cut labels that collide are told apart
    rows = tuple(
        Option(id=f"r:{i}", label=long, description="Keterangan yang sangat panjang " * 5)
        for i in range(5)
    )
    (listed,) = _ok(render(Reply("?", rows, footer="Catatan kaki " * 10), T))
    for row in _rows(listed):
        assert len(row["title"]) <= 24 and row["title"].endswith("…")
        assert len(row["description"]) <= 72
    assert len(listed["interactive"]["footer"]["text"]) <= 60


def test_long_body_goes_first_as_text_then_the_options() -> None:
    body = "Ringkasan laporan. " * 80
    messages = _ok(render(Reply(body, _options(2)), T))
    assert [m["type"] for m in messages] == ["text", "interactive"]
    assert messages[0]["text"]["body"] == body.strip()
    assert messages[1]["interactive"]["body"]["text"] == "Silakan pilih:"


def test_request_contact_is_plain_text_on_whatsapp() -> None:
    (message,) = _ok(render(Reply("Bagikan nomor Anda", request_contact=True), T))
    assert message["type"] == "text"


def test_english_labels_for_paging() -> None:
    reply = Reply("Choose", _options(12))
    (message,) = _ok(render(reply, Translator("en")))
    assert _rows(message)[-1]["title"] == "Next »"


def test_helpers() -> None:
    assert truncate("abc", 3) == "abc"
    assert truncate("abcdef", 4) == "abc…"
    assert split_text("a b c", 3) == ["a b", "c"]
    assert split_text("x" * 10, 4) == ["xxxx", "xxxx", "xx"]


def test_every_whatsapp_text_has_an_english_translation() -> None:
    from pathlib import Path

    from babel.messages.extract import extract_from_file

    english = Translator("en")
    root = Path(__file__).resolve().parents[3]
    # The staff linked by their number (bot/admin/phone_link.py) are told so on WhatsApp only.
    paths = [*sorted((root / "bot" / "channels" / "whatsapp").glob("*.py"))]
    paths.append(root / "bot" / "admin" / "phone_link.py")
    msgids = [
        message
        for path in paths
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"t": None}
        )
        if isinstance(message, str)
    ]
    assert len(msgids) >= 8
    missing = [m for m in msgids if english(m) == m]
    assert missing == []
