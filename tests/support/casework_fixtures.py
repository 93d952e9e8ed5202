"""Shared set-up for the routing, casework, relay, authorisation and staff chat tests.

A small world in Kota Jambi: two cadres in Simpang IV Sipin, one in Buluran Kenali (both in
kecamatan Telanaipura), the Telanaipura coordinator, a coordinator of another kecamatan, and a
Dinas officer; each with a linked Telegram chat (user id = chat id = a short number).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from bot.admin.staff import add_staff
from bot.cases.areas import import_areas
from bot.cases.lifecycle import Actor, record_event
from bot.core.app import App
from bot.messaging.messages import Reply
from models import (
    Case,
    CaseEvent,
    ChatIdentity,
    OutboxMessage,
    Staff,
)
from tests.support.factories import make_case

KEL1 = "15.71.01.1001"  # Simpang IV Sipin
KEL2 = "15.71.01.1002"  # Buluran Kenali
KEC1 = "15.71.01"  # Telanaipura
KEC2 = "15.71.02"  # Jambi Selatan
KEL_OTHER_KEC = "15.71.02.1002"  # Pasir Putih, Jambi Selatan
REPORTER = "9001"


@dataclass
class World:
    kader_a: int
    kader_b: int
    kader_c: int
    coordinator: int
    other_coordinator: int
    dinas: int
    chats: dict[int, str] = field(default_factory=dict)  # staff id -> telegram chat id


async def link(session: Any, staff: Staff, user_id: str, now: datetime) -> ChatIdentity:
    identity = ChatIdentity(
        channel="telegram", external_id=user_id, chat_id=user_id, staff_id=staff.id, created_at=now
    )
    session.add(identity)
    await session.flush()
    return identity


async def build_world(app: App, *, link_all: bool = True) -> World:
    now = app.clock.now()
    async with app.db.transaction() as session:
        await import_areas(session, "15.71")
        people = [
            ("Ani Kader", "081200000001", "kader", KEL1, "1001"),
            ("Budi Kader", "081200000002", "kader", KEL1, "1002"),
            ("Citra Kader", "081200000003", "kader", KEL2, "1003"),
            ("Dedi Koordinator", "081200000004", "koordinator_kecamatan", KEC1, "1004"),
            ("Eka Koordinator", "081200000005", "koordinator_kecamatan", KEC2, "1005"),
            ("Fitri Dinas", "081200000006", "dinas", "15.71", "1006"),
        ]
        ids: list[int] = []
        chats: dict[int, str] = {}
        for name, phone, role, area, user_id in people:
            staff = await add_staff(session, name, phone, role, area, now)
            ids.append(staff.id)
            if link_all:
                await link(session, staff, user_id, now)
                chats[staff.id] = user_id
    kader_a, kader_b, kader_c, coordinator, other_coordinator, dinas = ids
    return World(kader_a, kader_b, kader_c, coordinator, other_coordinator, dinas, chats)


def new_case(
    now: datetime,
    *,
    categories: list[str] | None = None,
    description: str = "Anak tetangga sering dipukul ayahnya",
    **kwargs: Any,
) -> Case:
    """A neighbour's report to REPORTER (tests/support/factories.py make_case)."""
    return make_case(
        now,
        categories=categories or ["fisik"],
        description=description,
        reporter_chat=REPORTER,
        reporter_role="tetangga",
        **kwargs,
    )


async def report(app: App, **kwargs: Any) -> int:
    """A case as the report flow leaves it: created, event written, routed."""
    from bot.cases.routing import route_new_case

    now = app.clock.now()
    async with app.db.transaction() as session:
        case = new_case(now, **kwargs)
        session.add(case)
        await session.flush()
        record_event(session, case, "created", Actor(kind="reporter", channel="telegram"), now)
        await route_new_case(session, case, now, app.settings)
        return case.id


async def get_case(app: App, case_id: int) -> Case:
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None
        return case


async def events(app: App, case_id: int, kind: str | None = None) -> list[CaseEvent]:
    async with app.db.transaction() as session:
        query = select(CaseEvent).where(CaseEvent.case_id == case_id).order_by(CaseEvent.id)
        if kind is not None:
            query = query.where(CaseEvent.kind == kind)
        return list((await session.scalars(query)).all())


async def outbox(app: App, chat_id: str | None = None) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if chat_id is not None:
            query = query.where(OutboxMessage.chat_id == chat_id)
        return list((await session.scalars(query)).all())


async def texts_to(app: App, chat_id: str) -> list[str]:
    return [Reply.from_json(m.payload).text for m in await outbox(app, chat_id)]


def option_ids(replies: list[Reply]) -> list[str]:
    return [o.id for r in replies for o in r.options]


def all_text(replies: list[Reply]) -> str:
    return "\n".join(r.text for r in replies)
