"""Every text of the report flow, status and general commands has a complete English version."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from bot.core.i18n import _catalog

ROOT = Path(__file__).resolve().parents[2]
SOURCES = [
    *sorted((ROOT / "handlers" / "report").glob("*.py")),
    *sorted((ROOT / "handlers" / "intake").glob("*.py")),
    ROOT / "handlers" / "general.py",
    ROOT / "handlers" / "status.py",
    ROOT / "handlers" / "linking.py",
    ROOT / "bot" / "cases" / "vocabulary.py",
    ROOT / "bot" / "cases" / "texts.py",
    ROOT / "bot" / "reporting" / "stats.py",
    ROOT / "bot" / "runtime" / "dispatch.py",
]
KEYWORDS = {"t": None, "N_": None}
# Dictionary keys the extractor picks up from `t(QUESTIONS["kel"], ...)`, not texts.
NOT_TEXTS = {"kel"}


def _msgids() -> list[str]:
    found: list[str] = []
    for path in SOURCES:
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=KEYWORDS
        ):
            text = message if isinstance(message, str) else message[0]
            if text and text not in NOT_TEXTS and text not in found:
                found.append(text)
    return found


MSGIDS = _msgids()


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_there_are_texts_to_check() -> None:
    assert len(MSGIDS) > 100


@pytest.mark.parametrize("msgid", MSGIDS)
def test_english_is_complete(msgid: str) -> None:
    english = _catalog("en").get(msgid)
    assert english, f"no English for {msgid!r}"
    assert _fields(english) == _fields(msgid)
