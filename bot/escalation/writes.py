"""The bulk writes of one sweep batch: case updates and case events (see bot/escalation/batch.py).

On PostgreSQL each is one statement over a JSON document of the rows (`json_to_recordset`): one
round trip and no per-value type processing in SQLAlchemy or the driver, which dominated the
batch when these were `executemany` (about 0.1 ms per row). On SQLite (one writer, in-process) the plain
`executemany` forms are kept. Either way the case update is guarded by the optimistic lock
(`version`): if any row was changed since it was claimed, the batch raises and the sweep falls
back to the per-case path.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, text, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from models.base import Base

# The case columns a batch writes back (besides `version`), with their PostgreSQL types.
WRITTEN: tuple[tuple[str, str], ...] = (
    ("status", "varchar"),
    ("escalation_level", "integer"),
    ("assignee_id", "integer"),
    ("assigned_at", "timestamptz"),
    ("updated_at", "timestamptz"),
    ("due_at", "timestamptz"),
    ("due_kind", "varchar"),
    ("accept_misses", "integer"),
    ("reminded_at", "timestamptz"),
)
# The event columns a batch fills; the rest (actor_staff_id, channel, note) stay NULL.
EVENT_COLUMNS: tuple[tuple[str, str], ...] = (
    ("case_id", "integer"),
    ("kind", "varchar"),
    ("from_status", "varchar"),
    ("to_status", "varchar"),
    ("data", "json"),
)


def _record(columns: tuple[tuple[str, str], ...]) -> str:
    return ", ".join(f"{name} {kind}" for name, kind in columns)


# The rows travel as one JSON document: encoding it is one C call, where a parameter per value
# (or an array per column) costs a Python-level conversion per value.
_PG_UPDATE = text(
    "UPDATE cases SET "
    + ", ".join(f"{name} = v.{name}" for name, _ in WRITTEN)
    + ", version = cases.version + 1"
    + " FROM json_to_recordset(CAST(CAST(:rows AS text) AS json))"
    + f" AS v(id integer, version integer, {_record(WRITTEN)})"
    + " WHERE cases.id = v.id AND cases.version = v.version"
)
_EVENT_NAMES = ", ".join(name for name, _ in EVENT_COLUMNS)
_PG_INSERT_EVENTS = text(
    "INSERT INTO case_events (case_id, at, kind, actor_kind, from_status, to_status, data) "
    "SELECT v.case_id, CAST(:at AS timestamptz), v.kind, 'system', v.from_status, v.to_status, "
    "v.data FROM ROWS FROM (json_to_recordset(CAST(CAST(:rows AS text) AS json))"
    f" AS ({_record(EVENT_COLUMNS)})) WITH ORDINALITY AS v({_EVENT_NAMES}, n) ORDER BY v.n"
)


def _iso(value: object) -> str:
    """json.dumps' `default`: called only for what JSON has no type for, here the moments."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


async def update_cases(
    session: AsyncSession, rows: Sequence[dict[str, Any]], *, postgres: bool
) -> None:
    """Write each row's WRITTEN columns where `id` and `version` still match; bump `version`."""
    if not rows:
        return
    if postgres:
        result = await session.execute(_PG_UPDATE, {"rows": json.dumps(rows, default=_iso)})
        changed = result.rowcount  # type: ignore[attr-defined]
        if changed != len(rows):
            raise StaleDataError(f"sweep batch: {changed} of {len(rows)} cases updated")
        return
    cases = Base.metadata.tables["cases"]
    statement = (
        update(cases)
        .where(cases.c.id == bindparam("b_id"), cases.c.version == bindparam("b_version"))
        .values(
            {
                **{name: bindparam(f"b_{name}") for name, _ in WRITTEN},
                "version": cases.c.version + 1,
            }
        )
    )
    params_many = [{f"b_{name}": value for name, value in row.items()} for row in rows]
    changed = (await session.execute(statement, params_many)).rowcount  # type: ignore[attr-defined]
    if changed != len(rows):
        raise StaleDataError(f"sweep batch: {changed} of {len(rows)} cases updated")


async def insert_events(
    session: AsyncSession, events: Sequence[dict[str, Any]], at: datetime, *, postgres: bool
) -> None:
    """System events: each a dict of EVENT_COLUMNS (`data` a dict), all at `at`, in order."""
    if not events:
        return
    if postgres:
        await session.execute(_PG_INSERT_EVENTS, {"rows": json.dumps(events), "at": at})
        return
    rows = [dict(event, at=at, actor_kind="system") for event in events]
    await session.execute(insert(Base.metadata.tables["case_events"]), rows)
