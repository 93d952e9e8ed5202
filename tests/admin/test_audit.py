"""`patbm audit REF`: the whole trail (who, what, when, channel), views included and recorded."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.admin.audit import audit_trail, render
from bot.cases.lifecycle import Actor
from bot.core.app import App
from bot.runtime.cli import main
from models import CaseEvent
from tests.conftest import START, TEST_KEY
from tests.support.reporting_seed import (
    DESCRIPTION,
    KADER_NAME,
    NOTE,
    cli_environment,
    seed,
    seed_sync,
)

CLI = Actor(kind="admin", channel="cli")


async def test_trail_shows_who_what_when_and_records_the_view(app: App) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    case = seeded.cases["closed_this_month"]
    async with app.db.transaction() as session:
        trail = await audit_trail(
            session,
            case.reference.lower().replace("-", " "),
            app.clock.now(),
            app.settings.zone,
            actor=CLI,
        )
    assert trail is not None and trail.reference == case.reference
    kinds = [entry.what for entry in trail.entries]
    assert kinds == [
        "created",
        "status_changed: baru -> ditugaskan",
        "status_changed: ditugaskan -> diterima",
        "note_added",
        "status_changed: diterima -> ditangani",
        "status_changed: ditangani -> selesai",
        "status_changed: selesai -> ditutup",
        "viewed",
    ]
    created, assigned, accepted, note = trail.entries[:4]
    assert (created.who, created.channel) == ("pelapor", "telegram")
    assert (assigned.who, assigned.detail) == ("sistem", "reason=kader")
    assert accepted.who == f"{KADER_NAME} (Kader PATBM Kelurahan)"
    assert accepted.at.strftime("%Y-%m-%d %H:%M %Z") == "2026-11-02 10:00 WIB"
    assert note.detail == "(ada catatan)"
    view = trail.entries[-1]
    assert (view.who, view.channel, view.at) == ("admin", "cli", app.clock.now())

    text = render(trail)
    assert case.reference in text and "8 peristiwa" in text
    assert NOTE not in text and DESCRIPTION not in text

    async with app.db.transaction() as session:
        views = await session.scalar(
            select(func.count()).where(CaseEvent.case_id == case.id, CaseEvent.kind == "viewed")
        )
    assert views == 1


async def test_notes_only_on_request_and_unknown_reference(app: App) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    ref = seeded.cases["old_closed"].reference
    async with app.db.transaction() as session:
        trail = await audit_trail(
            session, ref, app.clock.now(), app.settings.zone, actor=CLI, with_notes=True
        )
        missing = await audit_trail(
            session, "JMB-2222-22", app.clock.now(), app.settings.zone, actor=CLI
        )
    assert trail is not None and missing is None
    assert f"catatan: {NOTE}" in render(trail)
    assert trail.entries[-1].detail == "notes=True, via=audit"


def test_cli_audit_prints_and_records_each_reading(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    refs = seed_sync(database_url, START, TEST_KEY)
    ref = refs["escalated"]
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        assert main(["audit", ref]) == 0
        first = capsys.readouterr().out
        assert "escalated" in first and "level=1" in first and "whatsapp" in first
        assert first.count("viewed") == 1
        assert main(["audit", ref]) == 0
        assert capsys.readouterr().out.count("viewed") == 2
        assert main(["audit", "JMB-ZZZZ-ZZ"]) == 1
        assert "no case" in capsys.readouterr().err
