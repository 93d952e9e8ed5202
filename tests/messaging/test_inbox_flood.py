"""A flood from one chat costs a few replies, and the person carries on after the minute."""

from __future__ import annotations

from datetime import timedelta

from bot.core import metrics
from bot.core.app import App
from bot.core.clock import FixedClock
from tests.support.inbox_hostile_support import (
    handle_all,
    inbox_rows,
    message,
    queued_texts,
    store_updates,
)

USER = 777
WAIT = "Mohon tunggu sebentar"


async def test_a_burst_of_a_hundred_messages_leaves_a_few_queued_replies(
    app: App, clock: FixedClock
) -> None:
    limit = app.settings.inbound_chat_per_minute
    throttled = metrics.UPDATES_HANDLED.labels(channel="telegram", outcome="throttled")
    before = throttled._value.get()
    await store_updates(app, *(message(USER, text=f"asdf {n}") for n in range(100)))
    await handle_all(app)
    statuses = [row.status for row in await inbox_rows(app)]
    # The first `limit` of the minute are handled, the rest kept in the inbox, not handled.
    assert statuses == ["done"] * limit + ["throttled"] * (100 - limit)
    assert throttled._value.get() == before + 100 - limit
    texts = await queued_texts(app, USER)
    # Before: one reply per message (100 queued, minutes of them at 1 a second). Now the
    # welcome, the newest re-ask ("Maaf, kami belum mengerti" + the question; older re-asks
    # still queued are replaced), and "Mohon tunggu sebentar" once.
    assert len(texts) <= 5, texts
    assert sum(WAIT in t for t in texts) == 1
    assert sum("belum mengerti" in t for t in texts) == 1
    # After the minute the person goes on as usual, answered at once.
    clock.advance(timedelta(seconds=61))
    await store_updates(app, message(USER, text="/start"))
    await handle_all(app)
    assert (await inbox_rows(app))[-1].status == "done"
    after = await queued_texts(app, USER)
    assert len(after) == len(texts) + 1 and WAIT not in after[-1]


async def test_someone_typing_is_never_throttled(app: App, clock: FixedClock) -> None:
    # Ten messages a minute for five minutes: every one handled.
    for _ in range(5):
        await store_updates(app, *(message(USER, text=f"halo {n}") for n in range(10)))
        await handle_all(app)
        clock.advance(timedelta(seconds=60))
    assert {row.status for row in await inbox_rows(app)} == {"done"}
