"""Case references stay unique when many reports are submitted at the same moment."""

from __future__ import annotations

import asyncio
import itertools
import uuid

import pytest
from sqlalchemy import select

from bot.casework import creation as reports
from bot.casework.creation import submit_report
from bot.core.app import App
from models import Case
from tests.support.factories import KELURAHAN, jambi

DRAFT = {"cat": ["fisik"], "age": "6-12", "sex": "P", "kel": KELURAHAN, "desc": "..."}


async def test_many_reports_at_once_get_distinct_references(
    app: App, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with app.db.transaction() as session:
        await jambi(session)
    # A tiny space of references forces clashes, so the retry on a taken reference is exercised.
    pool = itertools.cycle([f"JMB-AAAA-{a}{b}" for a in "ABCDEFGH" for b in "23456"])
    monkeypatch.setattr(reports, "make_reference", lambda prefix: next(pool))
    count = 24 if app.db.is_postgres else 8

    async def one(index: int) -> str:
        for _ in range(20):
            try:
                async with app.db.transaction() as session:
                    case, _pin = await submit_report(
                        session,
                        dict(DRAFT),
                        channel="telegram",
                        reporter_user_id=str(1000 + index),
                        chat_id=str(1000 + index),
                        submission_key=uuid.uuid4().hex,
                        now=app.clock.now(),
                        settings=app.settings,
                    )
                    return case.reference
            except Exception as exc:  # a clash committed by a concurrent winner: try again
                if "unique" not in str(exc).lower() and "duplicate" not in str(exc).lower():
                    raise
        raise AssertionError("no reference after 20 tries")

    references = await asyncio.gather(*(one(i) for i in range(count)))
    assert len(set(references)) == count
    async with app.db.transaction() as session:
        stored = (await session.scalars(select(Case.reference))).all()
    assert sorted(stored) == sorted(references)
