"""Key rotation for encryption at rest: a new primary key, old data re-encrypted, old key dropped.

The steps, each safe to repeat:
1. `rotate`: a new Fernet key becomes primary. With the key file in the data folder it is
   written there (the old keys stay after it, so everything stays readable) and every token is
   re-encrypted at once. With PATBM_ENCRYPTION_KEY the environment cannot be changed from here:
   the new value is printed; set it on every instance, restart, then run step 2.
2. `reencrypt`: every encrypted column of every table is read raw, in batches by primary key;
   each token that is not under the primary key is rotated (`KeyRing.rotate`) and written back
   only if the row still holds the token that was read (so a concurrent write is never undone).
   Tokens are handled as opaque text: nothing goes through the ORM's encrypting column types.
3. `drop_old`: once no token needs an old key, the key file (or the printed setting) keeps only
   the primary key.

Running instances load their keys at start: stop them before step 1 (key file), or restart
them right after it, so none writes with a key the others do not have.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import Integer, Text, bindparam, column, select, table, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.sql.expression import TableClause

from bot.core.crypto import KEY_FILE_NAME, KeyRing, parse_keys, set_keyring
from bot.core.db import Database
from bot.core.logs import log_event
from bot.core.settings import Settings
from models import Base
from models.base import EncryptedBlob, EncryptedJSON, EncryptedText

BATCH_SIZE = 500

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EncryptedColumn:
    table: str
    pk: str
    column: str
    # Rows read at a time, for columns whose tokens are large (evidence files).
    batch: int | None = None

    @property
    def name(self) -> str:
        return f"{self.table}.{self.column}"

    def raw(self) -> TableClause:
        # Untyped on purpose: values are the stored tokens, not decrypted text.
        return table(self.table, column(self.pk, Integer), column(self.column, Text))


def encrypted_columns() -> list[EncryptedColumn]:
    """Every encrypted column of every model, so a column added later is rotated too."""
    found: list[EncryptedColumn] = []
    for tbl in Base.metadata.sorted_tables:
        pk = [c.name for c in tbl.primary_key.columns]
        for col in tbl.columns:
            if isinstance(col.type, EncryptedText | EncryptedJSON | EncryptedBlob):
                if len(pk) != 1:
                    raise RuntimeError(f"{tbl.name}: key rotation needs a one-column primary key")
                batch = getattr(col.type, "rotation_batch", None)
                found.append(EncryptedColumn(tbl.name, pk[0], col.name, batch))
    return found


def under_key(token: str, key: str) -> bool:
    """Whether the token was made with this key (checks the signature; decrypts nothing)."""
    try:
        Fernet(key.encode()).extract_timestamp(token.encode("ascii"))
    except (InvalidToken, ValueError):
        return False
    return True


@dataclass
class ColumnUsage:
    tokens: int = 0
    under_primary: int = 0
    under_old: int = 0
    unreadable: int = 0
    rewritten: int = 0


@dataclass
class KeyReport:
    columns: dict[str, ColumnUsage] = field(default_factory=dict)

    def total(self, attr: str) -> int:
        return sum(getattr(usage, attr) for usage in self.columns.values())


async def _scan(
    db: Database, ring: KeyRing, *, rewrite: bool, batch_size: int = BATCH_SIZE
) -> KeyReport:
    report = KeyReport()
    primary = ring.keys[0]
    for target in encrypted_columns():
        usage = report.columns.setdefault(target.name, ColumnUsage())
        raw = target.raw()
        pk, col = raw.c[target.pk], raw.c[target.column]
        last = 0
        while True:
            async with db.transaction() as session:
                rows = (
                    await session.execute(
                        select(pk, col)
                        .where(pk > last, col.is_not(None))
                        .order_by(pk)
                        .limit(target.batch or batch_size)
                    )
                ).all()
                changes: list[dict[str, Any]] = []
                for row_id, token in rows:
                    usage.tokens += 1
                    if under_key(token, primary):
                        usage.under_primary += 1
                    elif any(under_key(token, key) for key in ring.keys[1:]):
                        usage.under_old += 1
                        if rewrite:
                            changes.append(
                                {"b_id": row_id, "b_old": token, "b_new": ring.rotate(token)}
                            )
                    else:
                        usage.unreadable += 1
                if changes:
                    result = await session.execute(
                        update(raw)
                        .where(pk == bindparam("b_id"), col == bindparam("b_old"))
                        .values({target.column: bindparam("b_new")}),
                        changes,
                    )
                    # Some drivers cannot count an executemany (-1): then every change counts.
                    counted = cast(CursorResult[Any], result).rowcount
                    usage.rewritten += counted if counted >= 0 else len(changes)
            if len(rows) < (target.batch or batch_size):
                break
            last = rows[-1][0]
    if rewrite:
        log_event(
            log,
            "values re-encrypted",
            rewritten=report.total("rewritten"),
            old_key=report.total("under_old"),
            unreadable=report.total("unreadable"),
        )
    return report


async def key_usage(db: Database, ring: KeyRing) -> KeyReport:
    """How many tokens of each column are under the primary key, an old key, or none."""
    return await _scan(db, ring, rewrite=False)


async def reencrypt(db: Database, ring: KeyRing, *, batch_size: int = BATCH_SIZE) -> KeyReport:
    """Rotate every token that is not under the primary key yet (resumable, repeatable)."""
    return await _scan(db, ring, rewrite=True, batch_size=batch_size)


def key_file(settings: Settings) -> Path | None:
    """The key file in use, or None when the keys come from PATBM_ENCRYPTION_KEY."""
    return None if settings.encryption_key else settings.data_dir / KEY_FILE_NAME


def write_key_file(path: Path, keys: list[str]) -> None:
    """Replace the key file atomically, readable by the owner only."""
    tmp = path.with_name(path.name + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(",".join(keys) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def current_ring(settings: Settings) -> KeyRing:
    if settings.encryption_key:
        return KeyRing(parse_keys(settings.encryption_key.get_secret_value()))
    path = settings.data_dir / KEY_FILE_NAME
    return KeyRing(parse_keys(path.read_text()))


@dataclass(frozen=True)
class RotateOutcome:
    ring: KeyRing
    # Set when the keys come from the environment: the value to set everywhere.
    env_value: str | None = None
    report: KeyReport | None = None


async def rotate(db: Database, settings: Settings) -> RotateOutcome:
    """Make a new primary key; with a key file also re-encrypt everything at once."""
    old = current_ring(settings)
    new_key = Fernet.generate_key().decode()
    ring = KeyRing([new_key, *old.keys])
    path = key_file(settings)
    if path is None:
        return RotateOutcome(ring=ring, env_value=",".join(ring.keys))
    write_key_file(path, ring.keys)
    set_keyring(ring)
    return RotateOutcome(ring=ring, report=await reencrypt(db, ring))


@dataclass(frozen=True)
class DropOutcome:
    dropped: int
    report: KeyReport
    env_value: str | None = None

    @property
    def refused(self) -> bool:
        return self.report.total("under_old") > 0


async def drop_old(db: Database, settings: Settings) -> DropOutcome:
    """Keep only the primary key, if nothing needs an old one any more."""
    ring = current_ring(settings)
    report = await key_usage(db, ring)
    outcome = DropOutcome(dropped=len(ring.keys) - 1, report=report)
    if outcome.refused or outcome.dropped == 0:
        return DropOutcome(dropped=0, report=report)
    path = key_file(settings)
    if path is None:
        return DropOutcome(outcome.dropped, report, env_value=ring.keys[0])
    write_key_file(path, ring.keys[:1])
    set_keyring(KeyRing(ring.keys[:1]))
    return outcome
