"""Scheduling's tables in a schema of their own per test, migrated as the service does, on the real database."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import asyncpg
import pytest

from services.runtime.database import RUNTIME_SQL, create_pool, migrate
from services.scheduling.repository import SQL_DIR
from tests.conftest import TEST_DATABASE_URL


@pytest.fixture
async def pool() -> AsyncIterator[asyncpg.Pool]:
    schema = f"t_{uuid.uuid4().hex[:12]}"
    streams = {"runtime": RUNTIME_SQL / "migrations", "scheduling": SQL_DIR / "migrations"}
    await migrate(TEST_DATABASE_URL, schema, streams)
    pool = await create_pool(TEST_DATABASE_URL, schema, 3)
    yield pool
    await pool.execute(f'DROP SCHEMA "{schema}" CASCADE')
    await pool.close()
