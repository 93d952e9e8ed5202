"""Every text of evidence and the follow-up has its English version, with the same fields."""

from __future__ import annotations

import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_file

from bot.core.i18n import _catalog

ROOT = Path(__file__).resolve().parents[2]
SOURCES = (
    "handlers/report/media.py",
    "handlers/staff/evidence.py",
    "handlers/followup.py",
    "bot/evidence/store.py",
    "bot/evidence/view.py",
    "bot/casework/followup.py",
)


def _msgids() -> list[str]:
    found: list[str] = []
    for source in SOURCES:
        for _line, message, _c, _x in extract_from_file(
            "python", str(ROOT / source), keywords={"t": None, "N_": None}
        ):
            if isinstance(message, str) and message not in found:
                found.append(message)
    return found


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("msgid", _msgids())
def test_english_is_complete(msgid: str) -> None:
    english = _catalog("en").get(msgid)
    assert english, f"no English for {msgid!r}"
    assert _fields(english) == _fields(msgid)
