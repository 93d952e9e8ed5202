"""The pure step functions, without a database: option ids, typed matching, the short version."""

from __future__ import annotations

import pytest

from bot.core.i18n import Translator
from bot.messaging.messages import Inbound, Media
from handlers.base import ConversationState
from handlers.report import steps
from handlers.report.areas import AreaIndex, Place
from handlers.report.context import Ctx, has_words
from handlers.report.labels import EDITABLE, STEPS
from handlers.report.matching import match_typed
from handlers.report.navigation import next_step
from handlers.report.prompts import options_for
from handlers.report.validity import state_problems

AREAS = AreaIndex(
    "15.71",
    "Jambi",
    [Place(f"15.71.{i:02d}", f"Kecamatan Nomor {i}", "15.71") for i in range(1, 12)],
    {
        f"15.71.{i:02d}": [
            Place(f"15.71.{i:02d}.{1000 + j}", f"Kelurahan {i}-{j}", f"15.71.{i:02d}")
            for j in range(1, 15)
        ]
        for i in range(1, 12)
    },
)


def _ctx(language: str = "id") -> Ctx:
    return Ctx(t=Translator(language), areas=AREAS, emergency_lines=["112", "129"])


def _state(step: str, **data: object) -> ConversationState:
    base: dict[str, object] = {"key": "k", "pin": "123456", "kec": "15.71.01"}
    base.update(data)
    return ConversationState(flow="report", step=step, data=base)


def _inbound(**fields: object) -> Inbound:
    return Inbound("terminal", "u", "u", **fields)  # type: ignore[arg-type]


@pytest.mark.parametrize("step", [*STEPS, "edit"])
@pytest.mark.parametrize("language", ["id", "en"])
def test_every_option_id_fits_telegram(step: str, language: str) -> None:
    for page in range(3):
        data = {"kec": "15.71.01", "page": page, "cat": ["fisik"], "evidence": [{}]}
        for option in options_for(step, data, _ctx(language)):
            assert 1 <= len(option.id.encode()) <= 64
            assert option.id.startswith("r:")
            assert option.label


def test_all_areas_of_a_parent_come_in_one_reply() -> None:
    # No paging by the flow where the options fit one keyboard; a channel pages if it must.
    options = options_for("kel", {"kec": "15.71.01"}, _ctx())
    assert len([o for o in options if o.id.count(".") == 3]) == 14
    assert not [o for o in options if ":p" in o.id]
    assert len(options_for("kec", {}, _ctx())) == 11


@pytest.mark.parametrize(
    ("step", "typed", "value"),
    [
        ("danger", "Ya", "y"),
        ("danger", "TIDAK", "n"),
        ("danger", "2", "n"),
        ("sex", "cewek", "p"),
        ("sex", "laki laki", "l"),
        ("when", "kemarin", "yesterday"),
        ("when", "kemarn", "yesterday"),  # typo
        ("place", "sekolah", "sekolah"),
        ("place", "lewati", "-"),
        ("summary", "kirim", None),  # contact or anonymous? not clear
        ("summary", "anonim", "anon"),
        ("rel", "tidak tahu", "tidak_tahu"),
        ("age", "9", None),  # years are handled before matching, not as the 9th button
        ("danger", "🙂", None),
        ("sex", "mungkin", None),
    ],
)
def test_typed_matching(step: str, typed: str, value: str | None) -> None:
    options = options_for(step, {"kec": "15.71.01"}, _ctx())
    assert match_typed(step, typed, options) == value


def test_has_words() -> None:
    assert has_words("RT 3") and has_words("٣") and not has_words("😢 🙏 !!")


def test_the_short_version_for_someone_in_danger() -> None:
    ctx = _ctx()
    state = _state("danger")
    out = steps.handle(state, _inbound(option="r:danger:y"), ctx)
    assert "112" in out.replies[0].text and state.step == "cat"
    assert next_step(state.data, "loc") == "desc"
    assert next_step(state.data, "desc") == "summary"
    state.data["danger"] = False
    assert next_step(state.data, "loc") == "when"


def test_send_with_an_answer_missing_goes_back_to_it() -> None:
    state = _state("summary", cat=["fisik"], age="6-12", sex="p", kel=None)
    out = steps.handle(state, _inbound(option="r:summary:send"), _ctx())
    assert out.effect is None and state.step == "kel"
    assert state_problems(state) == []


def test_complete_summary_send_is_the_only_submit() -> None:
    state = _state("summary", cat=["fisik"], age="6-12", sex="p", kel="15.71.01.1001")
    assert steps.handle(state, _inbound(text="kirim"), _ctx()).effect is None
    assert steps.handle(state, _inbound(option="r:summary:send"), _ctx()).effect == "submit"
    assert state.data["contact"] == "y"
    assert steps.handle(state, _inbound(option="r:summary:anon"), _ctx()).effect == "submit"
    assert state.data["contact"] == "n"


def test_a_draft_stored_at_the_old_contact_question_goes_on_at_the_summary() -> None:
    state = _state("contact", cat=["fisik"], age="6-12", sex="p", kel="15.71.01.1001")
    out = steps.handle(state, _inbound(text="halo"), _ctx())
    assert state.step == "summary" and out.effect is None
    assert "Mohon periksa" in out.replies[-1].text


@pytest.mark.parametrize("field", list(EDITABLE))
def test_each_editable_field_leads_to_a_question(field: str) -> None:
    state = _state("edit", cat=["fisik"], age="6-12", sex="p", kel="15.71.01.1001")
    out = steps.handle(state, _inbound(option=f"r:edit:{field}"), _ctx())
    assert state.step == EDITABLE[field][0] and state.data["editing"] is True
    assert out.replies


def test_a_corrupt_step_starts_the_questions_again() -> None:
    state = _state("no-such-step")
    steps.handle(state, _inbound(text="halo"), _ctx())
    assert state.step == "danger"


def test_evidence_is_capped() -> None:
    state = _state("desc", evidence=[{"kind": "photo", "file_id": str(i)} for i in range(10)])
    out = steps.handle(state, _inbound(media=Media("photo", "x")), _ctx())
    assert len(state.data["evidence"]) == 10 and "cukup" in out.replies[0].text
