"""Case button data is written and read in one place, and junk never names a case."""

from __future__ import annotations

import pytest

from bot.cases.action_table import ACTIONS, Action
from bot.cases.buttons import VERB_ACTIONS, CaseVerb, case_button, list_button, read_button


@pytest.mark.parametrize("verb", list(CaseVerb))
def test_every_verb_reads_back_as_written(verb: CaseVerb) -> None:
    pressed = read_button(case_button(verb, 42, 7))
    assert (pressed.verb, pressed.case_id, pressed.extra) == (verb, 42, 7)
    assert len(case_button(verb, 10**12 - 1, 10**12 - 1).encode()) <= 64  # Telegram's limit


@pytest.mark.parametrize(
    "data", ["k", "k:", "k:zzz:1", "k:acc:abc", "k:acc:-1", "k:acc:1" + "9" * 40]
)
def test_junk_names_no_case(data: str) -> None:
    pressed = read_button(data)
    assert pressed.verb is None or pressed.case_id is None


def test_list_buttons() -> None:
    assert read_button(list_button("overdue")).list_filter == "overdue"
    assert read_button("k:list").list_filter == "open"


def test_every_verb_and_action_has_its_statuses() -> None:
    assert set(VERB_ACTIONS) == set(CaseVerb)
    assert set(ACTIONS) == set(Action)
