"""Button data on staff messages about cases, written and read only here.

The data is `k:<verb>:<case id>[:<extra>]` (or `k:list:<filter>`). It only names the case and
the verb: who may act, and whether the case's status allows it, is decided from the database
for the person who pressed, every time (bot/cases/authz.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.cases.action_table import Action

PREFIX = "k"


class CaseVerb(StrEnum):
    SHOW = "show"
    EVIDENCE = "ev"
    ACCEPT = "acc"
    DECLINE = "dec"
    NOTE = "note"
    HANDLE = "hdl"
    RESOLVE = "done"
    REFER = "ref"
    ASK = "ask"
    REASSIGN = "re"
    REASSIGN_TO = "rt"
    CLOSE = "cls"
    REOPEN = "opn"
    SAME = "dupy"
    NOT_SAME = "dupn"


# What each verb does, for the permission check and the audit trail of refused presses.
VERB_ACTIONS: dict[CaseVerb, Action] = {
    CaseVerb.SHOW: Action.VIEW,
    CaseVerb.EVIDENCE: Action.VIEW,
    CaseVerb.ACCEPT: Action.ACCEPT,
    CaseVerb.DECLINE: Action.DECLINE,
    CaseVerb.NOTE: Action.NOTE,
    CaseVerb.HANDLE: Action.HANDLE,
    CaseVerb.RESOLVE: Action.RESOLVE,
    CaseVerb.REFER: Action.REFER,
    CaseVerb.ASK: Action.ASK,
    CaseVerb.REASSIGN: Action.REASSIGN,
    CaseVerb.REASSIGN_TO: Action.REASSIGN,
    CaseVerb.CLOSE: Action.CLOSE,
    CaseVerb.REOPEN: Action.REOPEN,
    CaseVerb.SAME: Action.DUPLICATE,
    CaseVerb.NOT_SAME: Action.DUPLICATE,
}
LIST_VERB = "list"


def case_button(verb: CaseVerb, case_id: int, extra: int | None = None) -> str:
    data = f"{PREFIX}:{verb}:{case_id}"
    return data if extra is None else f"{data}:{extra}"


def list_button(filter_value: str) -> str:
    return f"{PREFIX}:{LIST_VERB}:{filter_value}"


@dataclass(frozen=True)
class PressedButton:
    """A pressed case button as read; any part that does not parse is None."""

    verb: CaseVerb | None
    case_id: int | None
    extra: int | None
    list_filter: str | None = None


def _number(part: str | None) -> int | None:
    if part is None or not part.isdigit() or len(part) > 12:
        return None
    return int(part)


def read_button(data: str) -> PressedButton:
    parts = data.split(":")
    word = parts[1] if len(parts) > 1 else ""
    if word == LIST_VERB:
        return PressedButton(None, None, None, parts[2] if len(parts) > 2 else "open")
    try:
        verb: CaseVerb | None = CaseVerb(word)
    except ValueError:
        verb = None
    case_id = _number(parts[2] if len(parts) > 2 else None)
    return PressedButton(verb, case_id, _number(parts[3] if len(parts) > 3 else None))
