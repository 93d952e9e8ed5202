"""Every allowed and every refused status transition, and what a transition writes."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from bot.cases.lifecycle import TRANSITIONS, Actor, TransitionNotAllowed, allowed, transition
from bot.core.app import App
from bot.messaging.messages import Reply
from bot.messaging.outbox import enqueue
from models import CaseEvent, CaseStatus, OutboxMessage
from tests.support.factories import jambi, make_case

ALL_PAIRS = list(itertools.product(CaseStatus, CaseStatus))


def test_table_covers_every_status() -> None:
    assert set(TRANSITIONS) == set(CaseStatus)
    assert not TRANSITIONS[CaseStatus.DIBATALKAN], "a withdrawn case stays withdrawn"
    for status in CaseStatus:
        if status not in (CaseStatus.DITUTUP, CaseStatus.DIBATALKAN, CaseStatus.SELESAI):
            assert CaseStatus.DIRUJUK in TRANSITIONS[status] or status == CaseStatus.DIRUJUK


@pytest.mark.parametrize(("from_status", "to_status"), ALL_PAIRS)
async def test_transition(app: App, from_status: CaseStatus, to_status: CaseStatus) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        await jambi(session)
        case = make_case(now, status=from_status)
        session.add(case)
        await session.flush()
        case_id = case.id
    actor = Actor(kind="staff", channel="telegram")
    if allowed(from_status, to_status):
        async with app.db.transaction() as session:
            case = await session.get_one(type(case), case_id)
            transition(session, case, to_status, actor, now)
            enqueue(
                session, channel="telegram", chat_id="1", reply=Reply("x"), now=now, case_id=case_id
            )
        async with app.db.transaction() as session:
            case = await session.get_one(type(case), case_id)
            events = (await session.scalars(select(CaseEvent))).all()
            assert case.status == to_status
            assert [(e.from_status, e.to_status) for e in events] == [(from_status, to_status)]
            assert len((await session.scalars(select(OutboxMessage))).all()) == 1
    else:
        with pytest.raises(TransitionNotAllowed):
            async with app.db.transaction() as session:
                case = await session.get_one(type(case), case_id)
                transition(session, case, to_status, actor, now)
                enqueue(session, channel="telegram", chat_id="1", reply=Reply("x"), now=now)
        async with app.db.transaction() as session:
            case = await session.get_one(type(case), case_id)
            assert case.status == from_status
            assert not (await session.scalars(select(CaseEvent))).all()
            assert not (await session.scalars(select(OutboxMessage))).all()


async def test_failed_transaction_leaves_no_event_or_message(app: App) -> None:
    """The change, its event and its messages commit together or not at all."""
    now = app.clock.now()
    async with app.db.transaction() as session:
        await jambi(session)
        case = make_case(now)
        session.add(case)
        await session.flush()
        case_id = case.id
    with pytest.raises(RuntimeError):
        async with app.db.transaction() as session:
            case = await session.get_one(type(case), case_id)
            transition(session, case, CaseStatus.DITUGASKAN, Actor.system(), now)
            enqueue(session, channel="telegram", chat_id="1", reply=Reply("x"), now=now)
            await session.flush()
            raise RuntimeError("crash before commit")
    async with app.db.transaction() as session:
        case = await session.get_one(type(case), case_id)
        assert case.status == CaseStatus.BARU
        assert not (await session.scalars(select(CaseEvent))).all()
        assert not (await session.scalars(select(OutboxMessage))).all()
