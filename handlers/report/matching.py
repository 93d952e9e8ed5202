"""Typed answers where a button was expected: 'ya', '2', 'perempuan', 'fisk' (a typo).

A number picks an option only when it is written as a person counts the list: plain digits
1..N. `-1`, `+1`, `0`, `99`, `1.5` or `٣` pick nothing (a list index from the end, or a
digit the list never showed, must never record, say, sexual violence): they get the kind
refusal and the question again.
"""

from __future__ import annotations

import difflib
import re

from bot.messaging.messages import Option
from handlers.report.context import parse_option, simplify
from handlers.report.labels import DONE, DONE_WORDS, OPTIONAL_STEPS, SKIP, SKIP_WORDS, TYPED_ALIASES

_PLAIN_NUMBER = re.compile(r"[0-9]{1,4}")


def plain_number(text: str) -> int | None:
    """The number in '2' or ' 2 ' (ASCII digits only); None for anything else."""
    stripped = text.strip()
    return int(stripped) if _PLAIN_NUMBER.fullmatch(stripped) else None


def looks_like_a_number(text: str) -> bool:
    """Digits with signs, points or other marks and no letters: a number, never a label."""
    stripped = text.strip()
    return (
        bool(stripped)
        and not any(ch.isalpha() for ch in stripped)
        and any(ch.isdigit() for ch in stripped)
    )


def pick_by_number(text: str, options: list[Option]) -> Option | None:
    """The option a plain 1..N number names, or None (for every other number, too)."""
    number = plain_number(text)
    if number is None or not 1 <= number <= len(options):
        return None
    return options[number - 1]


def _value(option: Option) -> str:
    # Any flow's `<prefix>:<step>:<value>` (the staff intake's too), not only the report's.
    parsed = parse_option(option.id)
    if parsed:
        return parsed[1]
    parts = option.id.split(":", 2)
    return parts[2] if len(parts) == 3 else option.id


def match_typed(step: str, text: str, options: list[Option]) -> str | None:
    """The value of the option the text means, or None when it is not clear."""
    if looks_like_a_number(text):
        picked = pick_by_number(text, options)
        return _value(picked) if picked is not None else None
    wanted = simplify(text)
    if not wanted:
        return None
    labels = [(simplify(o.label), _value(o)) for o in options]
    for label, value in labels:
        if label == wanted:
            return value
    aliases = TYPED_ALIASES.get(step, {})
    if wanted in aliases:
        return aliases[wanted]
    values = {value for _, value in labels}
    if wanted in DONE_WORDS and DONE in values:
        return DONE
    if wanted in SKIP_WORDS and step in OPTIONAL_STEPS and SKIP in values:
        return SKIP
    if len(wanted) >= 3:
        starting = [value for label, value in labels if label.startswith(wanted)]
        if len(starting) == 1:
            return starting[0]
        inside = [value for label, value in labels if wanted in label.split()]
        if len(inside) == 1:
            return inside[0]
    close = difflib.get_close_matches(wanted, [label for label, _ in labels], n=2, cutoff=0.8)
    if len(close) == 1:
        return next(value for label, value in labels if label == close[0])
    return None
