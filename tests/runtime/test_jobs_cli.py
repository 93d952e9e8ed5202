"""`patbm jobs run ... [--at ISO-TIME]` in-process, against the test database."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.core.app import App
from models import CaseEvent, OutboxMessage
from tests.support.casework_fixtures import build_world, get_case, report
from tests.support.cli_helpers import patbm_env
from tests.support.cli_helpers import run_cli as run_cli_sync


async def run_cli(*argv: str) -> int:
    # The command runs its own event loop (asyncio.run), so it gets a thread of its own.
    return await asyncio.to_thread(run_cli_sync, *argv)


async def counts(app: App) -> tuple[int, int]:
    async with app.db.transaction() as session:
        outbox = await session.scalar(select(func.count()).select_from(OutboxMessage))
        escalated = await session.scalar(
            select(func.count()).select_from(CaseEvent).where(CaseEvent.kind == "escalated")
        )
    return int(outbox or 0), int(escalated or 0)


async def test_escalation_two_weeks_later_once(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await build_world(app)
    case_id = await report(app)
    before = await counts(app)
    later = (app.clock.now() + timedelta(days=14)).isoformat()
    with patbm_env(monkeypatch, database_url, tmp_path):
        assert await run_cli("jobs", "run", "escalation", "--at", later) == 0
        first = await counts(app)
        assert first[1] > before[1] and first[0] > before[0]
        case = await get_case(app, case_id)
        assert case.escalation_level == 3
        # Again: nothing new.
        assert await run_cli("jobs", "run", "escalation", "--at", later) == 0
        assert await counts(app) == first


async def test_digest_at_a_local_time(
    app: App,
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    await build_world(app)
    await report(app)
    with patbm_env(monkeypatch, database_url, tmp_path):
        # No zone given: read in the deployment's zone (WIB): 07:00 WIB = 00:00 UTC.
        assert await run_cli("jobs", "run", "digest", "--at", "2026-11-24T07:00") == 0
        assert "2026-11-24T00:00:00+00:00" in capsys.readouterr().out
        assert await run_cli("jobs", "run", "digest", "--at", "2026-11-24T07:05") == 0
    async with app.db.transaction() as session:
        keys = (
            await session.scalars(
                select(OutboxMessage.dedupe_key).where(OutboxMessage.kind == "digest")
            )
        ).all()
    assert len(keys) == 3 and all(k and ":2026-11-24:" in k for k in keys)


async def test_bad_arguments_and_missing_channels_fail(
    app: App, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with patbm_env(monkeypatch, database_url, tmp_path):
        assert await run_cli("jobs", "run", "escalation", "--at", "next tuesday") == 2
        assert await run_cli("jobs", "run", "outbox") == 1  # no channel configured
        assert await run_cli("jobs", "run", "cleanup") == 0
        with pytest.raises(SystemExit):
            await run_cli("jobs", "run", "everything")
