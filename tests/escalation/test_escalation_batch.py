"""The batch sweep: grouped notices per recipient, translations, and the 0002 backfill."""

from __future__ import annotations

import asyncio
import string
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_file
from sqlalchemy import JSON, bindparam, select, text
from sqlalchemy.ext.asyncio import create_async_engine

from bot.core.app import App
from bot.core.clock import FixedClock
from bot.core.i18n import _catalog
from bot.core.migrations import upgrade
from bot.escalation.ladder import sweep
from bot.escalation.notice_groups import MAX_LISTED
from models import Case, CaseStatus, OutboxMessage
from models.base import UTCDateTime
from tests.support import dbutil
from tests.support.casework_fixtures import build_world, events, new_case

ROOT = Path(__file__).resolve().parents[2]


async def _owing_updates(app: App, assignee: int, count: int) -> list[int]:
    """`count` accepted cases of `assignee` whose update reminder is due now."""
    now = app.clock.now()
    ids = []
    async with app.db.transaction() as session:
        for _ in range(count):
            case = new_case(now - timedelta(days=1))
            case.status = CaseStatus.DITERIMA
            case.assignee_id = assignee
            case.assigned_at = case.accepted_at = case.updated_at = now - timedelta(hours=20)
            case.due_kind = "update"
            case.due_at = now - timedelta(minutes=1)
            session.add(case)
            await session.flush()
            ids.append(case.id)
    return ids


async def _messages_to(app: App, chat_id: str, kind: str) -> list[OutboxMessage]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.chat_id == chat_id, OutboxMessage.kind == kind)
            .order_by(OutboxMessage.id)
        )
        return list(rows.all())


async def _references(app: App, ids: list[int]) -> list[str]:
    async with app.db.transaction() as session:
        rows = await session.scalars(select(Case.reference).where(Case.id.in_(ids)))
        return list(rows.all())


async def test_a_single_notice_keeps_its_usual_message(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    (case_id,) = await _owing_updates(app, world.kader_a, 1)
    result = await sweep(app, clock.now())
    assert result.update_reminders == 1
    (message,) = await _messages_to(app, world.chats[world.kader_a], "reminder")
    (reference,) = await _references(app, [case_id])
    assert message.payload["text"].startswith(f"Pengingat: kasus {reference} (")
    assert [o["id"] for o in message.payload["options"]] == [f"k:show:{case_id}"]
    assert message.case_id == case_id


async def test_several_notices_to_one_person_become_one_message(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    ids = await _owing_updates(app, world.kader_a, 3)
    result = await sweep(app, clock.now())
    assert result.update_reminders == 3
    (message,) = await _messages_to(app, world.chats[world.kader_a], "reminder")
    body = message.payload["text"]
    assert body.startswith("Pengingat: 3 kasus belum ada kabar terbaru")
    for reference in await _references(app, ids):
        assert f"{reference} (Simpang IV Sipin)" in body
    assert "dipukul" not in body and "RT 03" not in body  # no case details
    assert [o["id"] for o in message.payload["options"]] == ["k:list:open"]
    assert message.case_id is None
    for case_id in ids:  # every case still has its own audit event
        (event,) = await events(app, case_id, "reminder_sent")
        assert event.data == {"rule": "no_update", "staff_id": world.kader_a}
    # The same instant again: nothing more.
    assert (await sweep(app, clock.now())).acted == 0
    assert len(await _messages_to(app, world.chats[world.kader_a], "reminder")) == 1


async def test_a_long_group_lists_the_first_and_counts_the_rest(
    app: App, clock: FixedClock
) -> None:
    world = await build_world(app)
    await _owing_updates(app, world.kader_a, MAX_LISTED + 3)
    await sweep(app, clock.now())
    (message,) = await _messages_to(app, world.chats[world.kader_a], "reminder")
    body = message.payload["text"]
    assert body.count("(Simpang IV Sipin)") == MAX_LISTED
    assert "dan 3 lainnya" in body


async def test_groups_are_per_batch_and_per_recipient(app: App, clock: FixedClock) -> None:
    world = await build_world(app)
    await _owing_updates(app, world.kader_a, 5)
    await _owing_updates(app, world.kader_b, 1)
    result = await sweep(app, clock.now(), batch_size=3)
    assert result.update_reminders == 6
    to_a = await _messages_to(app, world.chats[world.kader_a], "reminder")
    # Batches of 3 in deadline order: a's five cases fall into two or three batches.
    assert 2 <= len(to_a) <= 3
    assert len(await _messages_to(app, world.chats[world.kader_b], "reminder")) == 1


def _fields(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("source", ["bot/escalation/notice_groups.py", "bot/escalation/notices.py"])
def test_sweep_texts_have_english(source: str) -> None:
    found = [
        message
        for _line, message, _comments, _context in extract_from_file(
            "python", str(ROOT / source), keywords={"t": None}
        )
        if isinstance(message, str)
    ]
    assert found
    english = _catalog("en")
    for msgid in found:
        assert english.get(msgid), f"no English for {msgid!r}"
        assert _fields(english[msgid]) == _fields(msgid)


AT = datetime(2026, 11, 20, 2, 0, tzinfo=UTC)


async def _seed_before_0002(url: str) -> None:
    engine = create_async_engine(url)
    case_sql = text(
        "INSERT INTO cases (id, reference, pin_hash, submission_key, status, priority, categories,"
        " kecamatan_code, kelurahan_code, anonymous, contact_consent, channel, language,"
        " escalation_level, created_at, updated_at, version) VALUES (:id, :ref, 'x', :ref,"
        " :status, 'biasa', :cats, '15.71.01', '15.71.01.1001', true, false, 'telegram', 'id',"
        " 1, :at, :at, 1)"
    ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("cats", type_=JSON()))
    event_sql = text(
        "INSERT INTO case_events (case_id, at, kind, actor_kind, data)"
        " VALUES (:case_id, :at, :kind, 'system', :data)"
    ).bindparams(bindparam("at", type_=UTCDateTime()), bindparam("data", type_=JSON()))
    try:
        async with engine.begin() as conn:
            await conn.execute(
                text(
                    "INSERT INTO areas (code, name, level, kind, parent_code) VALUES"
                    " ('15.71', 'Kota Jambi', 'kota', 'kota', NULL),"
                    " ('15.71.01', 'Kota Baru', 'kecamatan', 'kecamatan', '15.71'),"
                    " ('15.71.01.1001', 'Simpang IV Sipin', 'kelurahan', 'kelurahan', '15.71.01')"
                )
            )
            cases = ((1, "ditugaskan"), (2, "ditangani"), (3, "dirujuk"), (4, "baru"))
            for case_id, status in cases:
                await conn.execute(
                    case_sql,
                    {
                        "id": case_id,
                        "ref": f"R{case_id}",
                        "status": status,
                        "at": AT,
                        "cats": ["fisik"],
                    },
                )
            rows: list[tuple[int, int, str, dict[str, Any]]] = [
                (1, 0, "escalated", {"rule": "accept_timeout", "level": 1}),
                (1, 1, "escalated", {"rule": "resolve_timeout", "level": 3}),
                (1, 2, "reminder_sent", {"rule": "no_update"}),
                (2, 1, "reminder_sent", {"rule": "no_update"}),
                (2, 3, "reminder_sent", {"rule": "no_update"}),
                (2, 4, "reminder_sent", {"rule": "referral"}),
                (3, 2, "reminder_sent", {"rule": "referral"}),
                (3, 5, "reminder_sent", {"rule": "no_update"}),
            ]
            for case_id, days, kind, data in rows:
                at = AT + timedelta(days=days)
                await conn.execute(
                    event_sql, {"case_id": case_id, "at": at, "kind": kind, "data": data}
                )
    finally:
        await engine.dispose()


async def _backfilled(url: str) -> dict[int, tuple[int, datetime | None]]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Case.id, Case.accept_misses, Case.reminded_at).order_by(Case.id)
            )
            return {r.id: (r.accept_misses, r.reminded_at) for r in rows.all()}
    finally:
        await engine.dispose()


async def _check_backfill(url: str) -> None:
    await asyncio.to_thread(upgrade, url, "0001")
    await _seed_before_0002(url)
    await asyncio.to_thread(upgrade, url)
    assert await _backfilled(url) == {
        1: (1, None),  # one accept_timeout; reminders only count while an update is owed
        2: (0, AT + timedelta(days=3)),  # the last no_update reminder
        3: (0, AT + timedelta(days=2)),  # dirujuk: the last referral reminder
        4: (0, None),
    }
    # The new case nobody had (no deadline before 0002) is due for a routing retry at once.
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(
                select(Case.id, Case.due_kind, Case.due_at).where(Case.due_kind.is_not(None))
            )
            assert [tuple(r) for r in rows.all()] == [(4, "route", AT)]
    finally:
        await engine.dispose()


async def test_0002_backfills_from_the_events_on_sqlite(tmp_path: Path) -> None:
    await _check_backfill(f"sqlite+aiosqlite:///{tmp_path / 'b.db'}")


@pytest.mark.skipif(not dbutil.is_postgres(), reason="PostgreSQL run only")
async def test_0002_backfills_from_the_events_on_postgresql() -> None:
    name, url = await dbutil.create_pg_database()
    try:
        await _check_backfill(url)
    finally:
        await dbutil.drop_pg_database(name)
