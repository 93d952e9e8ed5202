"""Texts in gettext catalogs. Indonesian is the source language (the msgids); English is a catalog.

Each part of the bot keeps its own domain (`bot/core/locale/en/LC_MESSAGES/<domain>.po`), read
directly with Babel at start-up, so there is no compile step to forget. Extract new strings with
`pybabel extract -k _ -k N_ -o messages.pot bot handlers` and merge them into the domain's file.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from babel.messages.pofile import read_po

LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("id", "en")
DEFAULT_LANGUAGE = "id"


@cache
def _catalog(language: str) -> dict[str, str]:
    folder = LOCALE_DIR / language / "LC_MESSAGES"
    messages: dict[str, str] = {}
    if not folder.is_dir():
        return messages
    for path in sorted(folder.glob("*.po")):
        with path.open("rb") as handle:
            catalog = read_po(handle, locale=language)
        for message in catalog:
            if message.id and isinstance(message.id, str) and message.string and not message.fuzzy:
                messages[message.id] = str(message.string)
    return messages


def normalise_language(language: str | None) -> str:
    if not language:
        return DEFAULT_LANGUAGE
    code = language.lower().split("-")[0].split("_")[0]
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def gettext(language: str, msgid: str, **values: Any) -> str:
    """The text in `language`, with {placeholders} filled; Indonesian when there is none."""
    text = msgid if language == DEFAULT_LANGUAGE else _catalog(language).get(msgid, msgid)
    return text.format(**values) if values else text


class Translator:
    """`t = Translator("en"); t("Laporan terkirim. Nomor: {ref}", ref=ref)`."""

    def __init__(self, language: str | None) -> None:
        self.language = normalise_language(language)

    def __call__(self, msgid: str, **values: Any) -> str:
        return gettext(self.language, msgid, **values)


def N_(msgid: str) -> str:
    """Marks a string for extraction where it is translated later (tables of labels)."""
    return msgid
