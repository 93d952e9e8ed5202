"""Personal fields are encrypted at rest: the raw database holds no clear text."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select, text

from bot.core.app import App
from bot.core.crypto import InvalidToken, KeyRing, load_keyring, set_keyring
from models import Case
from tests.conftest import TEST_KEY
from tests.support.factories import jambi, make_case

SECRET_DESCRIPTION = "Ayah tiri memukul Rina setiap malam"
SECRET_LOCATION = "Jl. Kenanga Nomor 17 RT 05"


async def test_raw_database_has_no_clear_text(app: App) -> None:
    now = app.clock.now()
    async with app.db.transaction() as session:
        await jambi(session)
        case = make_case(now, description=SECRET_DESCRIPTION)
        case.location_detail = SECRET_LOCATION
        case.reporter_contact = {"channel": "whatsapp", "chat_id": "6281234567890"}
        session.add(case)
    async with app.db.engine.connect() as conn:
        row = (await conn.execute(text("SELECT * FROM cases"))).mappings().one()
    raw = " ".join(str(v) for v in row.values())
    for secret in (SECRET_DESCRIPTION, "Rina", SECRET_LOCATION, "Kenanga", "6281234567890"):
        assert secret not in raw
    async with app.db.transaction() as session:
        loaded = (await session.scalars(select(Case))).one()
        assert loaded.description == SECRET_DESCRIPTION
        assert loaded.reporter_contact == {"channel": "whatsapp", "chat_id": "6281234567890"}


def test_key_list_rotates() -> None:
    old = KeyRing([TEST_KEY])
    token = old.encrypt("rahasia")
    new_key = Fernet.generate_key().decode()
    both = KeyRing([new_key, TEST_KEY])
    assert both.decrypt(token) == "rahasia"
    rotated = both.rotate(token)
    assert KeyRing([new_key]).decrypt(rotated) == "rahasia"
    with pytest.raises(InvalidToken):
        KeyRing([new_key]).decrypt(token)
    set_keyring(old)


def test_key_file_is_made_once_and_private(tmp_path, caplog) -> None:  # type: ignore[no-untyped-def]
    first = load_keyring(None, tmp_path)
    second = load_keyring(None, tmp_path)
    assert first.keys == second.keys
    assert (tmp_path / "patbm.key").stat().st_mode & 0o777 == 0o600
    assert "generated a new key" in caplog.text
