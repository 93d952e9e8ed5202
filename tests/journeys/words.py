"""What a person reads must be words: no stored code (`rumah_tangga`, a lone `p`, `today`)."""

from __future__ import annotations

import re

from bot.cases import vocabulary
from bot.core.i18n import Translator

FIELDS = (
    vocabulary.CATEGORIES,
    vocabulary.AGE_GROUPS,
    vocabulary.SEXES,
    vocabulary.WHEN,
    vocabulary.PLACES,
    vocabulary.RELATIONS,
    vocabulary.REPORTER_ROLES,
    vocabulary.STATUSES,
    vocabulary.PRIORITIES,
    vocabulary.STAFF_ROLES,
)
_VALUE = re.compile(r"^[^:\n]+: (.+)$", re.MULTILINE)
_SNAKE = re.compile(r"\b[a-z]+_[a-z_]+\b")


def codes_shown(text: str) -> list[str]:
    """Codes that reach the reader: a `Field: value` whose value (or a part of a list) is a
    code that has other words, or any snake_case word."""
    t = Translator("id")
    codes = {code for field in FIELDS for code in field.codes() if field.label(t, code) != code}
    shown = list(_SNAKE.findall(text))
    for value in _VALUE.findall(text):
        for part in value.split(", "):
            if part.strip() in codes:
                shown.append(part.strip())
    return shown
