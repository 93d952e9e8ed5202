"""Key rotation: a new primary key, everything re-encrypted, readable, and the old key droppable."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.fernet import Fernet, InvalidToken
from pydantic import SecretStr
from sqlalchemy import select, text

from bot.admin.keys import drop_old, encrypted_columns, key_usage, reencrypt, rotate
from bot.core.app import App
from bot.core.crypto import KEY_FILE_NAME, KeyRing, get_keyring, parse_keys, set_keyring
from bot.core.settings import Settings, get_settings
from bot.runtime.cli import main
from models import Case, CaseEvent
from tests.conftest import START, TEST_KEY
from tests.support.reporting_seed import DESCRIPTION, NOTE, cli_environment, seed, seed_sync

EXPECTED_COLUMNS = {
    "cases.description",
    "cases.location_detail",
    "cases.location_point",
    "cases.evidence",
    "cases.reporter_contact",
    "cases.outcome",
    "case_events.note",
    "conversations.data",
    "inbox.payload",
    "outbox.payload",
}


async def _all_tokens(app: App) -> list[str]:
    tokens: list[str] = []
    async with app.db.transaction() as session:
        for target in encrypted_columns():
            rows = await session.execute(
                text(
                    f"SELECT {target.column} FROM {target.table} WHERE {target.column} IS NOT NULL"
                )
            )
            tokens.extend(value for (value,) in rows.all())
    return tokens


def _file_settings(app: App, tmp_path: Path) -> Settings:
    (tmp_path / KEY_FILE_NAME).write_text(TEST_KEY + "\n")
    return app.settings.model_copy(update={"encryption_key": None, "data_dir": tmp_path})


def test_every_encrypted_column_is_found() -> None:
    assert {c.name for c in encrypted_columns()} >= EXPECTED_COLUMNS


async def test_rotate_with_key_file_then_drop_old(app: App, tmp_path: Path) -> None:
    async with app.db.transaction() as session:
        seeded = await seed(session, app.clock.now())
    settings = _file_settings(app, tmp_path)
    before = await _all_tokens(app)
    assert len(before) == 37

    outcome = await rotate(app.db, settings)
    assert outcome.env_value is None and outcome.report is not None
    keys = parse_keys((tmp_path / KEY_FILE_NAME).read_text())
    assert len(keys) == 2 and keys[1] == TEST_KEY
    new_key = keys[0]
    assert outcome.report.total("rewritten") == len(before)
    assert get_keyring().keys == keys

    # Readable through the ORM afterwards, with the new ring.
    case_id = seeded.cases["closed_this_month"].id
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None and case.description == DESCRIPTION
        notes = (
            await session.scalars(select(CaseEvent.note).where(CaseEvent.note.is_not(None)))
        ).all()
        assert set(notes) == {NOTE}

    usage = await key_usage(app.db, KeyRing(keys))
    assert usage.total("under_old") == 0 and usage.total("under_primary") == len(before)
    again = await reencrypt(app.db, KeyRing(keys))
    assert again.total("rewritten") == 0, "a second run has nothing left to do"

    dropped = await drop_old(app.db, settings)
    assert (dropped.refused, dropped.dropped) == (False, 1)
    assert parse_keys((tmp_path / KEY_FILE_NAME).read_text()) == [new_key]
    after = await _all_tokens(app)
    assert len(after) == len(before)
    for token in after:
        Fernet(new_key.encode()).decrypt(token.encode())
        with pytest.raises(InvalidToken):
            Fernet(TEST_KEY.encode()).decrypt(token.encode())
    async with app.db.transaction() as session:
        case = await session.get(Case, case_id)
        assert case is not None and case.location_detail is not None


async def test_rotate_with_environment_key_is_two_steps(app: App) -> None:
    async with app.db.transaction() as session:
        await seed(session, app.clock.now())
    before = await _all_tokens(app)

    first = await rotate(app.db, app.settings)
    assert first.env_value is not None and first.report is None
    new_key, old_key = parse_keys(first.env_value)
    assert old_key == TEST_KEY
    assert await _all_tokens(app) == before, "nothing is re-encrypted before the setting changes"

    # The operator sets PATBM_ENCRYPTION_KEY=NEW,OLD everywhere and restarts.
    both = app.settings.model_copy(update={"encryption_key": SecretStr(first.env_value)})
    set_keyring(KeyRing([new_key, old_key]))
    refused = await drop_old(app.db, both)
    assert refused.refused and refused.report.total("under_old") == len(before)

    report = await reencrypt(app.db, KeyRing([new_key, old_key]))
    assert report.total("rewritten") == len(before)
    dropped = await drop_old(app.db, both)
    assert (dropped.refused, dropped.env_value) == (False, new_key)
    set_keyring(KeyRing([new_key]))
    async with app.db.transaction() as session:
        assert DESCRIPTION in (await session.scalars(select(Case.description))).all()


def test_cli_rotate_status_and_drop_old(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_sync(database_url, START, TEST_KEY)
    (tmp_path / KEY_FILE_NAME).write_text(TEST_KEY + "\n")
    with cli_environment(monkeypatch, database_url, tmp_path, key=None):
        assert main(["keys", "status"]) == 0
        assert "1 key(s) loaded" in capsys.readouterr().out
        assert main(["keys", "rotate"]) == 0
        out = capsys.readouterr().out
        assert "37 values re-encrypted" in out
        new_key = parse_keys((tmp_path / KEY_FILE_NAME).read_text())[0]
        assert main(["keys", "rotate", "--drop-old"]) == 0
        assert "1 old key(s) removed" in capsys.readouterr().out
        assert parse_keys((tmp_path / KEY_FILE_NAME).read_text()) == [new_key]
        assert main(["export"]) == 0  # still works with the new key alone
        capsys.readouterr()
        assert main(["audit", "JMB-2222-22"]) == 1


def test_cli_rotate_with_environment_prints_instructions(
    monkeypatch: pytest.MonkeyPatch,
    database_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    seed_sync(database_url, START, TEST_KEY)
    with cli_environment(monkeypatch, database_url, tmp_path, key=TEST_KEY):
        assert main(["keys", "rotate"]) == 0
        out = capsys.readouterr().out
        line = next(x for x in out.splitlines() if "PATBM_ENCRYPTION_KEY=" in x)
        value = line.split("=", 1)[1]
        assert parse_keys(value)[1] == TEST_KEY
        assert "--reencrypt-only" in out
        monkeypatch.setenv("PATBM_ENCRYPTION_KEY", value)
        get_settings.cache_clear()
        assert main(["keys", "rotate", "--drop-old"]) == 1
        assert "still use an old key" in capsys.readouterr().err
        assert main(["keys", "rotate", "--reencrypt-only"]) == 0
        assert "37 values re-encrypted" in capsys.readouterr().out
        assert main(["keys", "rotate", "--drop-old"]) == 0
        assert f"PATBM_ENCRYPTION_KEY={parse_keys(value)[0]}" in capsys.readouterr().out
