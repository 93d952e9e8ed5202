"""Several instances (separate engines) deliver the same outbox at once: each row exactly once.

PostgreSQL: thousands of rows, `FOR UPDATE SKIP LOCKED`. SQLite: a smaller run (BEGIN
IMMEDIATE serialises the claims).
"""

from __future__ import annotations

import asyncio
import itertools
import random
from collections import Counter, defaultdict

from sqlalchemy import func, select

from bot.core.app import App
from bot.messaging.delivery import DeliveryWorker
from bot.runtime.wiring import DELIVERY_HOOKS
from models import OutboxMessage
from tests.support import dbutil
from tests.support.outbox_support import FakeSender, Sent, another_app, queue, unlimited

WORKERS = 3


async def test_instances_deliver_every_row_exactly_once_in_order(app: App) -> None:
    chats, per_chat = (200, 10) if dbutil.is_postgres() else (40, 5)
    names = [f"c{n}" for n in range(chats)]
    await queue(app, names, per_chat)
    shared: list[Sent] = []
    seq = itertools.count()
    apps = [another_app(app) for _ in range(WORKERS)]
    senders = [FakeSender(sent=shared, _seq=seq) for _ in apps]
    workers = [
        DeliveryWorker(
            a, {"fake": s}, limiter=unlimited(), rng=random.Random(n), hooks=DELIVERY_HOOKS
        )
        for n, (a, s) in enumerate(zip(apps, senders, strict=True))
    ]
    try:
        results = await asyncio.gather(*(w.drain() for w in workers))
    finally:
        for a in apps:
            await a.db.dispose()

    total = chats * per_chat
    assert sum(r.sent for r in results) == total
    texts = Counter(s.text for s in shared)
    assert len(texts) == total and max(texts.values()) == 1  # nothing twice, nothing missing
    by_chat: dict[str, list[Sent]] = defaultdict(list)
    for sent in sorted(shared, key=lambda s: s.seq):
        by_chat[sent.chat_id].append(sent)
    for chat, sends in by_chat.items():
        assert [s.text for s in sends] == [f"{chat}#{n}" for n in range(per_chat)]
    if dbutil.is_postgres():
        assert sum(1 for r in results if r.sent) >= 2  # the work really was shared
    async with app.db.transaction() as session:
        left = await session.scalar(
            select(func.count()).select_from(OutboxMessage).where(OutboxMessage.status != "sent")
        )
    assert left == 0
