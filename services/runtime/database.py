"""The service's PostgreSQL pool, its numbered migrations, and named SQL loading."""

from __future__ import annotations

import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiosql
import asyncpg

RUNTIME_SQL = Path(__file__).parent / "sql"
_MIGRATION = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True)
class DatabaseLogin:
    """Where to connect and as whom; ``user``/``password`` None: the ones the URL names.

    ``tls``: a context (encrypted, never falls back to plain text), one of asyncpg's ``sslmode`` names,
    or None for what the URL says (``?sslmode=…``), else asyncpg's default (``prefer``).
    """

    url: str
    user: str | None
    password: str | None
    tls: ssl.SSLContext | str | None = None

    def __repr__(self) -> str:  # never the password, should the login itself be logged
        return f"DatabaseLogin(url={self.url!r}, user={self.user!r})"

    def arguments(self) -> dict[str, Any]:
        """asyncpg's connection arguments: the password as an argument, never on a command line or in a URL."""
        extra: dict[str, Any] = {"user": self.user, "password": self.password} if self.user else {}
        if self.tls is not None:
            extra["ssl"] = self.tls
        return {"dsn": self.url, **extra}


def _login(database: str | DatabaseLogin) -> DatabaseLogin:
    return database if isinstance(database, DatabaseLogin) else DatabaseLogin(database, None, None)


def load_queries(sql_dir: Path) -> Any:
    """Named queries of ``sql_dir/queries.sql`` (aiosql, asyncpg driver)."""
    return aiosql.from_path(sql_dir / "queries.sql", "asyncpg", mandatory_parameters=False)


runtime_queries = load_queries(RUNTIME_SQL)


async def _keep_session(_: asyncpg.Connection) -> None:
    """Services set no session state (only transaction-scoped locks): skip the RESET ALL round trip."""


async def create_pool(database: str | DatabaseLogin, schema: str, size: int) -> asyncpg.Pool:
    """A pool whose connections see the service's own schema first."""
    return await asyncpg.create_pool(
        **_login(database).arguments(),
        min_size=1,
        max_size=size,
        reset=_keep_session,
        server_settings={"search_path": schema, "application_name": f"passpro-{schema}"},
    )


def _migrations(directory: Path) -> list[tuple[int, Path]]:
    found = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION.match(path.name)
        if not match:
            raise RuntimeError(f"{path}: migration files are named NNNN_description.sql")
        found.append((int(match.group(1)), path))
    return found


async def migrate(database: str | DatabaseLogin, schema: str, streams: dict[str, Path]) -> list[str]:
    """Applies each stream's numbered migrations once, in order, under an advisory lock.

    Replicas starting together wait for each other; every migration runs in its own transaction, as
    the role the service connects with, so what it creates belongs to that role. A role without the
    right to create schemas finds its schema made for it by the administrator (``deploy.database``).
    """
    applied: list[str] = []
    conn = await asyncpg.connect(**_login(database).arguments(), server_settings={"search_path": schema})
    try:
        await conn.execute("SELECT pg_advisory_lock(hashtext($1))", f"passpro.migrate.{schema}")
        try:
            if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_namespace WHERE nspname = $1)", schema):
                await conn.execute(f'CREATE SCHEMA "{schema}"')
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                " stream text NOT NULL, version int NOT NULL,"
                " applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (stream, version))"
            )
            for stream, directory in streams.items():
                done = {
                    r["version"]
                    for r in await conn.fetch("SELECT version FROM schema_migrations WHERE stream = $1", stream)
                }
                for version, path in _migrations(directory):
                    if version in done:
                        continue
                    async with conn.transaction():
                        await conn.execute(path.read_text())
                        await conn.execute(
                            "INSERT INTO schema_migrations (stream, version) VALUES ($1, $2)", stream, version
                        )
                    applied.append(f"{stream}/{path.name}")
        finally:
            await conn.execute("SELECT pg_advisory_unlock(hashtext($1))", f"passpro.migrate.{schema}")
    finally:
        await conn.close()
    return applied


async def pending_migrations(pool: asyncpg.Pool, streams: dict[str, Path]) -> int:
    """How many known migrations are not applied (readiness wants 0)."""
    async with pool.acquire() as conn:
        rows = await conn.fetch("SELECT stream, version FROM schema_migrations")
    done = {(r["stream"], r["version"]) for r in rows}
    return sum(
        1
        for stream, directory in streams.items()
        for version, _ in _migrations(directory)
        if (stream, version) not in done
    )
