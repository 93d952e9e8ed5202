"""The fetch worker is woken by its Database's commit hook: after a commit that queued evidence,
not after one that did not, nor after a rollback; a failing hook leaves the commit committed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.core.app import App
from bot.evidence.store import queue_evidence
from bot.evidence.worker import EvidenceWorker
from models import CaseEvidence
from tests.support.factories import jambi, make_case


class Abort(Exception):
    pass


async def _queue_one(app: App) -> None:
    async with app.db.transaction() as session:
        case = make_case(app.clock.now())
        case.evidence = [{"kind": "photo", "file_id": "FILE-1"}]
        session.add(case)
        await session.flush()
        assert queue_evidence(session, case, app.clock.now()) == 1


async def test_only_a_commit_that_queued_evidence_wakes_the_worker(app: App) -> None:
    async with app.db.transaction() as session:
        await jambi(session)
    worker = EvidenceWorker(app, {})
    kicks: list[bool] = []
    worker.kick = lambda: kicks.append(True)  # type: ignore[method-assign]
    app.db.commit_hooks.add(worker.after_commit)
    try:
        async with app.db.transaction() as session:
            session.add(make_case(app.clock.now()))  # a case without files
        assert kicks == []
        with pytest.raises(Abort):
            async with app.db.transaction() as session:
                case = make_case(app.clock.now())
                case.evidence = [{"kind": "photo", "file_id": "FILE-0"}]
                session.add(case)
                await session.flush()
                queue_evidence(session, case, app.clock.now())
                raise Abort
        assert kicks == []
        await _queue_one(app)
        assert kicks == [True]
    finally:
        app.db.commit_hooks.discard(worker.after_commit)
    await _queue_one(app)  # unwired: nobody is woken
    assert kicks == [True]


async def test_a_failing_hook_does_not_undo_the_commit(
    app: App, caplog: pytest.LogCaptureFixture
) -> None:
    async with app.db.transaction() as session:
        await jambi(session)

    def broken(info: Mapping[str, Any]) -> None:
        raise RuntimeError("hook down")

    app.db.commit_hooks.add(broken)
    try:
        await _queue_one(app)
    finally:
        app.db.commit_hooks.discard(broken)
    assert "a commit hook failed" in caplog.text
    async with app.db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(CaseEvidence)) == 1
