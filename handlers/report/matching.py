"""Typed answers where a button was expected: 'ya', '2', 'perempuan', 'fisk' (a typo)."""

from __future__ import annotations

import difflib

from bot.messages import Option
from handlers.report.context import parse_option, simplify
from handlers.report.labels import DONE, DONE_WORDS, OPTIONAL_STEPS, SKIP, SKIP_WORDS, TYPED_ALIASES


def _value(option: Option) -> str:
    parsed = parse_option(option.id)
    return parsed[1] if parsed else option.id


def match_typed(step: str, text: str, options: list[Option]) -> str | None:
    """The value of the option the text means, or None when it is not clear."""
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
    if wanted.isdigit():
        index = int(wanted) - 1
        return labels[index][1] if 0 <= index < len(labels) else None
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
