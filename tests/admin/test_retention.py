"""Retention: dry run first (nothing changes), then apply: personal data gone, statistics kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import select, text

from bot.admin.retention import REDACTED_PAYLOAD, apply_retention, months_before
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.core.crypto import KeyRing
from bot.runtime.cli import main
from models import Case, CaseEvent, OutboxMessage
from tests.conftest import START, TEST_KEY
from tests.support.reporting_seed import DESCRIPTION, PERSONAL, cli_environment, seed, seed_sync

CLI = Actor(kind="admin", channel="cli")


def test_months_before_handles_month_ends() -> None:
    assert months_before(datetime(2026, 11, 23, 2, tzinfo=UTC), 24) == datetime(
        2024, 11, 23, 2, tzinfo=UTC
    )
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(
        2024, 12, 15, tzinfo=UTC
    )


async def _raw_values(app: App, keyring: KeyRing, case_ids: list[int]) -> str:
    """Everything stored for these cases, tokens decrypted, as one string to search."""
    ids = ",".join(str(i) for i in case_ids)
    parts: list[str] = []
    async with app.db.transaction() as session:
        for query in (
            f"SELECT location_detail, location_point, description, evidence, reporter_contact, "
            f"outcome FROM cases WHERE id IN ({ids})",
            f"SELECT note FROM case_events WHERE case_id IN ({ids})",
            f"SELECT payload FROM outbox WHERE case_id IN ({ids})",
        ):
            for row in (await session.execute(text(query))).all():
                parts.extend(keyring.decrypt(value) for value in row if value is not None)
    return " ".join(parts)


async def test_dry_run_then_apply(app: App, keyring: KeyRing) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    old = [seeded.cases["old_closed"], seeded.cases["old_withdrawn"]]
    old_ids = [case.id for case in old]
    kept = [c for name, c in seeded.cases.items() if name not in ("old_closed", "old_withdrawn")]
    now = app.clock.now()

    dry = await apply_retention(app.db, now, 24, actor=CLI, dry_run=True)
    assert [c.reference for c in dry.cases] == [case.reference for case in old]
    assert dry.cases[0].fields == (
        "description",
        "location_detail",
        "location_point",
        "evidence",
        "reporter_contact",
        "outcome",
    )
    assert (dry.cases[0].notes, dry.cases[0].outbox) == (1, 2)
    assert DESCRIPTION in await _raw_values(app, keyring, old_ids), "a dry run changes nothing"
    async with app.db.transaction() as session:
        assert (
            await session.scalars(select(CaseEvent).where(CaseEvent.kind == "anonymised"))
        ).all() == []

    applied = await apply_retention(app.db, now, 24, actor=CLI)
    assert [c.reference for c in applied.cases] == [case.reference for case in old]

    raw = await _raw_values(app, keyring, old_ids)
    assert not [marker for marker in PERSONAL if marker in raw]
    async with app.db.transaction() as session:
        for case in old:
            stored = await session.get(Case, case.id)
            assert stored is not None
            assert stored.anonymised_at == now
            assert (stored.description, stored.location_detail, stored.evidence) == (
                None,
                None,
                None,
            )
            assert (stored.reporter_contact, stored.outcome, stored.location_point) == (
                None,
                None,
                None,
            )
            # What statistics need stays.
            assert (stored.categories, stored.kelurahan_code, stored.victim_age_group) == (
                case.categories,
                case.kelurahan_code,
                "6-12",
            )
            assert (stored.status, stored.created_at) == (case.status, case.created_at)
            events = (
                await session.scalars(
                    select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
                )
            ).all()
            assert all(event.note is None for event in events)
            assert events[-1].kind == "anonymised"
            assert (events[-1].actor_kind, events[-1].channel) == ("admin", "cli")
            assert events[-1].data["retention_months"] == 24
        payloads = (
            await session.scalars(
                select(OutboxMessage.payload).where(OutboxMessage.case_id.in_(old_ids))
            )
        ).all()
        assert payloads == [REDACTED_PAYLOAD, REDACTED_PAYLOAD]
        for case in kept:
            stored = await session.get(Case, case.id)
            assert stored is not None and stored.description == DESCRIPTION
            assert stored.anonymised_at is None

    again = await apply_retention(app.db, now, 24, actor=CLI)
    assert again.cases == []


async def test_shorter_period_reaches_more_cases_but_never_open_ones(app: App) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    result = await apply_retention(app.db, app.clock.now(), 1, actor=CLI, batch_size=1)
    assert {c.reference for c in result.cases} == {
        seeded.cases[name].reference for name in ("old_closed", "old_withdrawn", "recent_closed")
    }
    async with app.db.transaction() as session:
        open_case = await session.get(Case, seeded.cases["new_last_month"].id)
        assert open_case is not None and open_case.description == DESCRIPTION


def test_cli_dry_run_then_apply(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refs = seed_sync(database_url, START, TEST_KEY)
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        monkeypatch.setenv("PATBM_RETENTION_MONTHS", "24")
        assert main(["retention", "apply", "--dry-run"]) == 0
        out = capsys.readouterr().out
        assert refs["old_closed"] in out and refs["old_withdrawn"] in out
        assert refs["recent_closed"] not in out
        assert "dry run: nothing was changed" in out
        assert main(["retention", "apply", "--dry-run"]) == 0
        assert "2 cases would be anonymised" in capsys.readouterr().out

        assert main(["retention", "apply"]) == 0
        assert "2 cases anonymised" in capsys.readouterr().out
        assert main(["retention", "apply"]) == 0
        assert "nothing to do" in capsys.readouterr().out
