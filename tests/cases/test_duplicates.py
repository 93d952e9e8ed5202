"""Possible duplicates: linked and put to the assignee, never merged silently."""

from __future__ import annotations

from datetime import timedelta

from bot.core.app import App
from models import CaseStatus
from tests.support.casework_fixtures import (
    KEL2,
    all_text,
    build_world,
    events,
    get_case,
    option_ids,
    outbox,
    report,
)
from tests.support.chat import Chat


async def test_matching_report_is_linked_and_the_assignee_asked(app: App) -> None:
    world = await build_world(app)
    first = await report(app, kelurahan=KEL2, categories=["fisik", "psikis"])
    app.clock.advance(timedelta(days=2))  # type: ignore[attr-defined]
    second = await report(app, kelurahan=KEL2, categories=["psikis"])
    case = await get_case(app, second)
    assert case.duplicate_of_id == first and case.status == CaseStatus.DITUGASKAN
    (linked,) = await events(app, second, "possible_duplicate")
    assert linked.data["duplicate_of_id"] == first
    rows = [r for r in await outbox(app, world.chats[world.kader_c]) if r.kind == "duplicate_check"]
    assert len(rows) == 1
    assert (await get_case(app, first)).status == CaseStatus.DITUGASKAN  # untouched


async def test_no_link_when_anything_differs(app: App) -> None:
    await build_world(app)
    await report(app, kelurahan=KEL2, categories=["fisik"], age="6-12", sex="P")
    others = [
        await report(app, kelurahan=KEL2, categories=["seksual"]),  # category
        await report(app, kelurahan=KEL2, categories=["fisik"], age="13-17"),  # age
        await report(app, kelurahan=KEL2, categories=["fisik"], sex="L"),  # sex
        await report(app, categories=["fisik"]),  # kelurahan
    ]
    for case_id in others:
        assert (await get_case(app, case_id)).duplicate_of_id is None
    app.clock.advance(timedelta(days=3, minutes=1))  # type: ignore[attr-defined]
    late = await report(app, kelurahan=KEL2, categories=["fisik"])
    assert (await get_case(app, late)).duplicate_of_id is None


async def test_confirm_cancels_the_new_case(app: App) -> None:
    world = await build_world(app)
    first = await report(app, kelurahan=KEL2)
    second = await report(app, kelurahan=KEL2)
    cadre = Chat(app, world.chats[world.kader_c])
    await cadre.press(f"k:acc:{second}")
    view = await cadre.press(f"k:show:{second}")
    assert f"k:dupy:{second}" in option_ids(view)
    replies = await cadre.press(f"k:dupy:{second}")
    assert "ganda" in all_text(replies)
    assert (await get_case(app, second)).status == CaseStatus.DIBATALKAN
    assert (await get_case(app, first)).status == CaseStatus.DITUGASKAN
    assert len(await events(app, second, "duplicate_confirmed")) == 1


async def test_dismiss_keeps_both(app: App) -> None:
    world = await build_world(app)
    await report(app, kelurahan=KEL2)
    second = await report(app, kelurahan=KEL2)
    cadre = Chat(app, world.chats[world.kader_c])
    await cadre.press(f"k:dupn:{second}")
    case = await get_case(app, second)
    assert case.duplicate_of_id is None and case.status == CaseStatus.DITUGASKAN
    assert len(await events(app, second, "duplicate_dismissed")) == 1
    # A stranger's press on the same button is refused.
    await Chat(app, world.chats[world.kader_a]).press(f"k:dupy:{second}")
    assert (await get_case(app, second)).status == CaseStatus.DITUGASKAN
