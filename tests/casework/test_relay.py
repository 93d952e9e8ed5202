"""The masked relay: cadre → reporter and back, only with consent, stoppable with /stop REF."""

from __future__ import annotations

from bot.core.app import App
from bot.messaging.messages import Reply
from tests.support.casework_fixtures import (
    KEL2,
    REPORTER,
    all_text,
    build_world,
    events,
    get_case,
    option_ids,
    outbox,
    report,
    texts_to,
)
from tests.support.chat import Chat


async def _accepted(app: App, *, consent: bool = True) -> tuple[int, Chat, str]:
    world = await build_world(app)
    case_id = await report(app, kelurahan=KEL2, consent=consent)
    cadre_chat = world.chats[world.kader_c]
    cadre = Chat(app, cadre_chat)
    await cadre.press(f"k:acc:{case_id}")
    return case_id, cadre, cadre_chat


async def test_question_and_answer_pass_through_the_bot_masked(app: App) -> None:
    case_id, cadre, cadre_chat = await _accepted(app)
    reference = (await get_case(app, case_id)).reference
    await cadre.press(f"k:ask:{case_id}")
    replies = await cadre.send("Apakah anak itu sekarang aman?")
    assert "dikirim" in all_text(replies)
    rows = [r for r in await outbox(app, REPORTER) if r.kind == "relay"]
    assert len(rows) == 1
    question = Reply.from_json(rows[0].payload)
    assert reference in question.text and "Apakah anak itu sekarang aman?" in question.text
    assert "Citra" not in question.text and "081200000003" not in question.text
    assert cadre_chat not in question.text
    assert [o.id for o in question.options] == [f"rl:ans:{case_id}"]

    reporter = Chat(app, REPORTER)
    prompt = await reporter.press(f"rl:ans:{case_id}")
    assert reference in all_text(prompt)
    thanks = await reporter.send("Sudah, dia di rumah neneknya")
    assert "diteruskan" in all_text(thanks)
    forwarded = [t for t in await texts_to(app, cadre_chat) if "neneknya" in t]
    assert len(forwarded) == 1
    assert reference in forwarded[0] and REPORTER not in forwarded[0]
    kinds = [e.kind for e in await events(app, case_id)]
    assert "relay_question" in kinds and "relay_answer" in kinds
    (answer,) = await events(app, case_id, "relay_answer")
    assert answer.note == "Sudah, dia di rumah neneknya" and answer.actor_kind == "reporter"


async def test_no_relay_without_consent(app: App) -> None:
    case_id, cadre, _ = await _accepted(app, consent=False)
    replies = await cadre.press(f"k:ask:{case_id}")
    assert "tidak bisa dihubungi" in all_text(replies)
    assert await cadre.flow() is None
    assert await outbox(app, REPORTER) == []
    assert await events(app, case_id, "relay_question") == []


async def test_someone_else_cannot_answer_for_the_reporter(app: App) -> None:
    case_id, cadre, _ = await _accepted(app)
    await cadre.press(f"k:ask:{case_id}")
    await cadre.send("Pertanyaan")
    stranger = Chat(app, "8888")
    replies = await stranger.press(f"rl:ans:{case_id}")
    assert "tidak berlaku" in all_text(replies)
    assert await stranger.flow() is None
    assert len(await events(app, case_id, "access_denied")) == 1
    assert await events(app, case_id, "relay_answer") == []


async def test_stop_ends_the_relay_and_forgets_the_contact(app: App) -> None:
    case_id, cadre, cadre_chat = await _accepted(app)
    case = await get_case(app, case_id)
    # Someone else cannot stop it, and learns nothing.
    other = await Chat(app, "8888").send(f"/stop {case.reference}")
    assert "Tidak ada percakapan" in all_text(other)
    assert (await get_case(app, case_id)).contact_consent
    reporter = Chat(app, REPORTER)
    replies = await reporter.send(f"/stop {case.reference.lower()}")
    assert "tidak akan menerima pesan lagi" in all_text(replies)
    case = await get_case(app, case_id)
    assert not case.contact_consent and case.reporter_contact is None
    assert len(await events(app, case_id, "relay_stopped")) == 1
    assert any("tidak dihubungi lagi" in t for t in await texts_to(app, cadre_chat))
    # The cadre can no longer ask; an old answer button does nothing.
    assert "tidak bisa dihubungi" in all_text(await cadre.press(f"k:ask:{case_id}"))
    assert f"k:ask:{case_id}" not in option_ids(await cadre.press(f"k:show:{case_id}"))
    assert "tidak berlaku" in all_text(await reporter.press(f"rl:ans:{case_id}"))


async def test_stop_without_reference_explains(app: App) -> None:
    await build_world(app)
    replies = await Chat(app, REPORTER).send("/stop")
    assert "/stop" in all_text(replies)


async def test_answer_button_never_throws_away_a_report_being_written(app: App) -> None:
    case_id, cadre, _ = await _accepted(app)
    await cadre.press(f"k:ask:{case_id}")
    await cadre.send("Pertanyaan")
    reporter = Chat(app, REPORTER)
    await reporter.send("/start")  # starts writing a new report
    flow = await reporter.flow()
    assert flow is not None
    replies = await reporter.press(f"rl:ans:{case_id}")
    assert "/batal" in all_text(replies)
    assert await reporter.flow() == flow
