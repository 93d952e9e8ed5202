"""Which `patbm run` processes are alive, so that a dead one's leases are taken over in seconds.

Inbox and outbox rows in hand are leased: `locked_until` (the lease runs out, 60 s by default)
and `lease_owner`, the instance holding it. Each instance keeps a row in `instances` and beats
(`heartbeat_at`) every `instance_heartbeat_seconds` (2 s). A lease is free when it ran out, or
when its owner's heartbeat is stale (older than `STALE_BEATS` beats) or gone: a killed instance
gives up its leases about 6 s after its death, not after the full lease. Every beat also removes
stale instance rows and, if it removed any, wakes this process's inbox and delivery loops so
they claim what was freed at once.

Long polling: Telegram lets one poller run per bot (a second `getUpdates` gets 409), so a
process starting in long polling mode is the only one, and it takes over every lease an
instance holds at once (`take_over_leases`): what the previous process had in flight when it
died is handled and sent again within a second of the restart.

A stalled instance (its event loop blocked for 3 beats) loses its leases too; what it was
doing may then be done twice. That is the outbox's at-least-once window; the inbox's done-mark
is checked against the claim's attempt, so a row is handled once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, delete, or_, select, update
from sqlalchemy.orm import InstrumentedAttribute

from bot.core.app import App
from bot.core.settings import Settings
from models import InboxUpdate, Instance, OutboxMessage

log = logging.getLogger(__name__)

STALE_BEATS = 3


def new_instance_id() -> str:
    """Unique per process start; host and pid make it readable in the table."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(4)}"


def stale_before(settings: Settings, now: datetime) -> datetime:
    """An instance that has not beaten since this instant is dead."""
    return now - timedelta(seconds=STALE_BEATS * settings.instance_heartbeat_seconds)


def lease_free(
    locked_until: InstrumentedAttribute[datetime | None],
    lease_owner: InstrumentedAttribute[str | None],
    now: datetime,
    stale: datetime,
) -> ColumnElement[bool]:
    """No lease, a lease run out, or a lease whose owner is not alive."""
    alive = select(Instance.id).where(Instance.heartbeat_at > stale)
    return or_(
        locked_until.is_(None),
        locked_until <= now,
        and_(lease_owner.is_not(None), lease_owner.not_in(alive)),
    )


async def beat(app: App, instance_id: str) -> None:
    now = app.clock.now()
    # Not durable: a beat lost with the database server is a beat missed.
    async with app.db.transaction(durable=False) as session:
        beaten = await session.execute(
            update(Instance)
            .where(Instance.id == instance_id)
            .values(heartbeat_at=now)
            .execution_options(synchronize_session=False)
        )
        if beaten.rowcount == 0:  # type: ignore[attr-defined]
            session.add(Instance(id=instance_id, heartbeat_at=now, started_at=now))


async def reap(app: App) -> int:
    """Remove the rows of dead instances; how many there were."""
    stale = stale_before(app.settings, app.clock.now())
    async with app.db.transaction(durable=False) as session:
        gone = await session.execute(
            delete(Instance)
            .where(Instance.heartbeat_at <= stale)
            .execution_options(synchronize_session=False)
        )
    return int(getattr(gone, "rowcount", 0) or 0)


async def leave(app: App, instance_id: str) -> None:
    """At a clean stop: what this instance still holds is free for the others at once."""
    async with app.db.transaction() as session:
        await session.execute(delete(Instance).where(Instance.id == instance_id))


async def take_over_leases(app: App, instance_id: str) -> tuple[int, int]:
    """Free every inbox and outbox lease held by another instance (long polling: there is no
    other one alive); the numbers of inbox and outbox rows freed.

    Rows with a lease but no owner are left: an inbox row waiting out its failure backoff, or a
    row leased by `patbm jobs run outbox`, which may still be running.
    """
    freed: list[int] = []
    async with app.db.transaction() as session:
        for model in (InboxUpdate, OutboxMessage):
            result = await session.execute(
                update(model)
                .where(
                    model.status == "pending",
                    model.lease_owner.is_not(None),
                    model.lease_owner != instance_id,
                )
                .values(locked_until=None, lease_owner=None)
                .execution_options(synchronize_session=False)
            )
            freed.append(int(getattr(result, "rowcount", 0) or 0))
    if any(freed):
        log.info("took over the leases of a previous process: %s inbox, %s outbox", *freed)
    return freed[0], freed[1]


class Heartbeat:
    """`await hb.start()` (registers), `spawn(hb.run(stopping))`, `await hb.leave()`."""

    def __init__(
        self, app: App, instance_id: str, on_takeover: Callable[[], None] | None = None
    ) -> None:
        self.app = app
        self.instance_id = instance_id
        # Called when a dead instance was found: its leases are free now.
        self.on_takeover = on_takeover

    async def start(self) -> None:
        await beat(self.app, self.instance_id)

    async def run(self, stopping: asyncio.Event) -> None:
        interval = self.app.settings.instance_heartbeat_seconds
        while not stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopping.wait(), interval)
            if stopping.is_set():
                return
            try:
                await beat(self.app, self.instance_id)
                dead = await reap(self.app)
            except Exception:
                # Missed beats are what the others see; the next one may work.
                log.exception("instance heartbeat failed")
                continue
            if dead:
                log.info("%s dead instance(s): their leases are taken over", dead)
                if self.on_takeover is not None:
                    self.on_takeover()

    async def leave(self) -> None:
        try:
            await leave(self.app, self.instance_id)
        except Exception:
            log.exception("could not remove this instance's heartbeat row")
