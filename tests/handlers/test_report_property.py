"""Random input sequences: nothing escapes, no case without the summary's send, state stays valid."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.core.app import App
from bot.messaging.messages import Contact, Inbound, Location, Media, Reply
from bot.runtime.dispatch import dispatch_in_transaction
from handlers.base import ConversationState
from handlers.report.validity import state_problems
from models import Area, Case, Conversation
from tests.support.report_support import seed_areas

TEXTS = [
    "ya",
    "tidak",
    "1",
    "2",
    "9",
    "13",
    "kirim",
    "lewati",
    "lanjut",
    "fisik, psikis",
    "telanaipura",
    "jambi",
    "simpang iv sipin",
    "Kenali Besar",
    "RT 01 RW 02",
    "Anak itu dipukul.",
    "😀",
    "",
    "   ",
    "x" * 3000,
]
COMMANDS = [
    "/start",
    "/batal",
    "/bantuan",
    "/bahasa en",
    "/bahasa id",
    "/status",
    "/status JMB-2222-22 123456",
    "/tidakada",
]
FORGED = [
    "r:summary:send",
    "r:kec:p9",
    "r:kel:15.71.01.1001",
    "r:edit:area",
    "g:lang:xx",
    "k:acc:1",
]
# Interleaved with the random inputs so that sequences get as far as the summary and send.
FORWARD = [
    "/start",
    "r:danger:n",
    "r:cat:fisik",
    "r:cat:ok",
    "r:age:6-12",
    "r:sex:p",
    "r:kec:15.71.01",
    "r:kel:15.71.01.1001",
    "r:loc:-",
    "r:when:>",
    "r:summary:send",
]
_users = itertools.count()


async def _snapshot(app: App, channel: str, user: str) -> tuple[ConversationState | None, int]:
    """The stored state of this chat user and how many cases exist, read together."""
    async with app.db.transaction() as session:
        row = await session.scalar(
            select(Conversation).where(
                Conversation.channel == channel, Conversation.user_id == user
            )
        )
        cases = int(await session.scalar(select(func.count()).select_from(Case)) or 0)
    if row is None:
        return None, cases
    return ConversationState(row.flow, row.step, dict(row.data or {}), row.language), cases


# Forty whole conversations: minutes on a loaded machine, hence the longer limit of `slow`.
@pytest.mark.slow
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
async def test_random_input_sequences(app: App, data: st.DataObject) -> None:
    async with app.db.transaction() as session:
        seeded = await session.scalar(select(func.count()).select_from(Area))
    if not seeded:
        await seed_areas(app)
    user = f"u{next(_users)}"
    channel = data.draw(st.sampled_from(["telegram", "whatsapp", "terminal"]))
    last: list[Reply] = []
    # The state after one input is the state before the next: one read per input.
    before, cases_before = await _snapshot(app, channel, user)
    forward = iter(FORWARD)
    # Some sequences mostly go forward (to reach the send), others mostly wander.
    forward_from = data.draw(st.sampled_from([4, 12]))
    for _ in range(data.draw(st.integers(1, 18))):
        kind = data.draw(st.integers(0, 19))
        options = [o for r in last for o in r.options]
        following = next(forward, None) if kind >= forward_from else None
        fields: dict[str, object]
        if following is not None and following.startswith("/"):
            fields = {"text": following}
        elif following is not None:
            fields = {"option": following, "prompt_message_id": "m"}
        elif (kind <= 5 or kind >= 12) and options:
            fields = {"option": data.draw(st.sampled_from(options)).id, "prompt_message_id": "m"}
        elif kind == 7:
            fields = {"text": data.draw(st.sampled_from(COMMANDS))}
        elif kind == 8:
            fields = {
                "media": Media(data.draw(st.sampled_from(["photo", "voice", "sticker"])), "f")
            }
        elif kind == 9:
            fields = data.draw(
                st.sampled_from(
                    [{"location": Location(-1.6, 103.6)}, {"contact": Contact("+628123", user)}]
                )
            )
        elif kind == 10:
            fields = {"option": data.draw(st.sampled_from(FORGED))}
        elif kind == 11:
            fields = {"text": data.draw(st.text(max_size=40))}
        else:
            fields = {"text": data.draw(st.sampled_from(TEXTS))}
        inbound = Inbound(channel, user, user, **fields)  # type: ignore[arg-type]
        queued = await dispatch_in_transaction(app, inbound)
        last = [Reply.from_json(q.payload) for q in queued]
        assert last and all(r.text for r in last)
        state, cases_after = await _snapshot(app, channel, user)
        created = cases_after - cases_before
        assert created in (0, 1)
        if created:
            event("a case was created")
            assert before is not None and (before.flow, before.step) == ("report", "summary")
            assert (
                inbound.option in ("r:summary:send", "r:summary:anon") or inbound.text is not None
            )
        assert state is not None
        assert state.flow in (None, "report", "status")
        assert state_problems(state) == []
        if state.step:
            event(f"reached step {state.step}")
        before, cases_before = state, cases_after
        assert "Maaf, terjadi gangguan" not in "".join(r.text for r in last)
