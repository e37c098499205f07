"""Each service's PostgreSQL role on the real server (test database): it owns its schema and reaches no other."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import pytest

from contracts import routing
from deploy.database import ensure_service_schemas
from services.runtime.database import RUNTIME_SQL, migrate
from services.runtime.settings import ServiceSettings
from tests.conftest import TEST_DATABASE_URL, TEST_SERVICES_DATABASE_URL

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = ServiceSettings(database_url=TEST_SERVICES_DATABASE_URL)


def streams(service: str) -> dict[str, Path]:
    return {"runtime": RUNTIME_SQL / "migrations", service: ROOT / "services" / service / "sql" / "migrations"}


@pytest.fixture(scope="module")
async def migrated() -> None:
    """What a service's start does: the administrator's schemas, then each service migrating as its role."""
    admin = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        await ensure_service_schemas(admin)
    finally:
        await admin.close()
    for service in routing.SERVICES:
        await migrate(SETTINGS.database_login(service), service, streams(service))


async def connect_as(service: str) -> asyncpg.Connection:
    return await asyncpg.connect(**SETTINGS.database_login(service).arguments())


@pytest.fixture
async def connections(migrated: None) -> AsyncIterator[dict[str, asyncpg.Connection]]:
    conns = {service: await connect_as(service) for service in routing.SERVICES}
    yield conns
    for conn in conns.values():
        await conn.close()


async def test_a_service_logs_in_as_its_own_role_when_the_url_names_none(
    connections: dict[str, asyncpg.Connection],
) -> None:
    users = {service: await conn.fetchval("SELECT current_user") for service, conn in connections.items()}

    assert users == {service: f"passpro_{service}" for service in routing.SERVICES}


@pytest.mark.parametrize("reader,owner", list(itertools.permutations(routing.SERVICES, 2)))
async def test_a_services_role_can_neither_read_nor_write_another_services_tables(
    connections: dict[str, asyncpg.Connection],
    reader: str,
    owner: str,
) -> None:
    conn = connections[reader]

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.fetchval(f'SELECT count(*) FROM "{owner}".outbox')
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute(f'DELETE FROM "{owner}".inbox')
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute(f'CREATE TABLE "{owner}".intruder (id int)')


async def test_the_migrations_ran_as_the_services_role_which_owns_its_schema_and_every_table(
    migrated: None,
) -> None:
    admin = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        rows = await admin.fetch(
            "SELECT n.nspname AS schema, pg_get_userbyid(n.nspowner) AS schema_owner,"
            " c.relname AS name, pg_get_userbyid(c.relowner) AS owner"
            " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " WHERE n.nspname = ANY($1::text[]) AND c.relkind IN ('r', 'S', 'i')",
            list(routing.SERVICES),
        )
    finally:
        await admin.close()

    assert {row["schema"] for row in rows} == set(routing.SERVICES)
    assert {(row["schema"], row["name"]) for row in rows} >= {
        (service, "schema_migrations") for service in routing.SERVICES
    }
    wrong = [
        (r["schema"], r["name"], r["owner"])
        for r in rows
        if r["owner"] != f"passpro_{r['schema']}" or r["schema_owner"] != f"passpro_{r['schema']}"
    ]
    assert wrong == []


async def test_a_services_role_may_create_no_schema_and_no_table_outside_its_own(
    connections: dict[str, asyncpg.Connection],
) -> None:
    conn = connections["enrollment"]

    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CREATE SCHEMA intruder")
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await conn.execute("CREATE TABLE public.intruder (id int)")


async def test_a_wrong_password_is_refused() -> None:
    wrong = ServiceSettings(database_url=TEST_SERVICES_DATABASE_URL, database_password="not-the-password")

    with pytest.raises(asyncpg.InvalidPasswordError):
        await asyncpg.connect(**wrong.database_login("enrollment").arguments())
