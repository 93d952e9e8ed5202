"""What the pure step functions may look at besides the state: texts, areas, settings."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from bot.core.i18n import Translator
from bot.messaging.messages import Option, Reply
from handlers.report.areas import AreaIndex
from handlers.report.labels import PREFIX


@dataclass
class Ctx:
    t: Translator
    areas: AreaIndex | None
    emergency_lines: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What one step did: the replies to send, and 'submit' when the report is to be sent."""

    replies: list[Reply] = field(default_factory=list)
    effect: str | None = None

    def say(self, text: str, options: list[Option] | tuple[Option, ...] = ()) -> None:
        self.replies.append(Reply(text=text, options=tuple(options)))


def option_id(step: str, value: str) -> str:
    return f"{PREFIX}:{step}:{value}"


def parse_option(option: str) -> tuple[str, str] | None:
    """'r:age:6-12' -> ('age', '6-12'); None for anything else."""
    parts = option.split(":", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        return None
    return parts[1], parts[2]


def has_words(text: str) -> bool:
    """False for emoji-only or punctuation-only text."""
    return any(unicodedata.category(ch)[0] in "LN" for ch in text)


def simplify(text: str) -> str:
    """Lower-case letters and digits only, single spaces: what typed answers are compared on."""
    kept = "".join(ch if unicodedata.category(ch)[0] in "LN" else " " for ch in text.lower())
    return re.sub(r"\s+", " ", kept).strip()


def copy_data(data: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, list):
            out[key] = [dict(v) if isinstance(v, dict) else v for v in value]
        elif isinstance(value, dict):
            out[key] = dict(value)
        else:
            out[key] = value
    return out
