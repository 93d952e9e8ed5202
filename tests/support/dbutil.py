"""Throw-away test databases: a SQLite file per test, or a PostgreSQL database per test run."""

from __future__ import annotations

import os
import uuid

import asyncpg
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from models import Base

BACKEND = os.environ.get("PATBM_TEST_BACKEND", "sqlite")
PG_SERVER = os.environ.get("PATBM_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


def is_postgres() -> bool:
    return BACKEND == "postgresql"


async def create_pg_database(
    server: str = PG_SERVER, prefix: str = "patbm_test"
) -> tuple[str, str]:
    """Create a fresh database on `server`; returns (its name, its SQLAlchemy async URL)."""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    base = server.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
    return name, f"{base}/{name}"


async def drop_pg_database(name: str, server: str = PG_SERVER) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


async def create_schema(url: str) -> None:
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    await engine.dispose()


async def truncate_all(engine: AsyncEngine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    async with engine.begin() as conn:
        await conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
