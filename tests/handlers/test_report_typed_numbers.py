"""Typed numbers on every question: only a plain 1..N picks an option, never '-1' or '0'."""

from __future__ import annotations

import copy

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.messaging.messages import Inbound
from handlers.report import steps
from handlers.report.labels import STEPS
from handlers.report.prompts import options_for
from tests.handlers.test_report_steps import _ctx, _state

FREE_TEXT_STEPS = {"loc", "desc"}  # typed text is the answer there, not a choice
# Numbers as people mistype them: signs, points, other digits, marks, spaces.
NUMBER_LIKE = st.one_of(
    st.integers(-200, 200).map(lambda n: f"{n:+d}"),
    st.integers(0, 10**6).map(str),
    st.floats(-100, 100, allow_nan=False).map(str),
    st.text(alphabet="0123456789-+.,#()٣²¹ \t/", min_size=1, max_size=8),
)


def _plain_in_range(text: str, count: int) -> bool:
    stripped = text.strip()
    return stripped.isascii() and stripped.isdigit() and 1 <= int(stripped) <= count


@settings(max_examples=300, deadline=None)
@given(step=st.sampled_from([s for s in STEPS if s not in FREE_TEXT_STEPS]), typed=NUMBER_LIKE)
def test_a_number_that_is_not_1_to_n_never_chooses(step: str, typed: str) -> None:
    ctx = _ctx()
    state = _state(step, cat=[] if step == "cat" else ["fisik"])
    before = copy.deepcopy(state.data)
    options = options_for(step, state.data, ctx)
    steps.handle(state, Inbound("whatsapp", "u", "u", text=typed), ctx)
    if _plain_in_range(typed, len(options)):
        return
    if step == "age" and typed.strip().isascii() and typed.strip().isdigit():
        return  # on the age question a plain number is the age in years
    assert state.step == step, typed
    assert state.data.get("cat") == before.get("cat"), typed  # never sexual violence
    for key in ("danger", "age", "sex", "kel", "when", "place", "rel", "role", "contact"):
        assert state.data.get(key) == before.get(key), (typed, key)


@settings(max_examples=200, deadline=None)
@given(typed=st.text(max_size=12).filter(lambda t: not any(c.isalpha() for c in t)))
def test_nothing_without_letters_ticks_a_category_unless_plain(typed: str) -> None:
    ctx = _ctx()
    state = _state("cat", cat=[])
    steps.handle(state, Inbound("whatsapp", "u", "u", text=typed), ctx)
    if not _plain_in_range(typed, len(options_for("cat", {}, ctx))):
        assert state.data["cat"] == [], typed
