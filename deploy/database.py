"""The services' PostgreSQL roles: one per service, owning its schema and nothing else, made idempotently.

A role can log in, connect to the campaign's databases and use the one schema it owns; it has no right
on another service's schema, cannot create schemas or roles, and its password reaches the server only
as a SCRAM verifier (never the password itself, so neither a command line nor a server log can show it).
The administrator role (``passpro`` on the local stack) is made a member of every service role: it may
drop and recreate a service's schema (a fresh campaign, the tests) without owning the tables.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re

import asyncpg

from contracts import routing
from contracts.database import role_of, role_password_variable

SCRAM_ITERATIONS = 4096
"""PostgreSQL's own default for ``password_encryption = scram-sha-256``."""
_VERIFIER = re.compile(r"^SCRAM-SHA-256\$[0-9]+:[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+:[A-Za-z0-9+/=]+$")
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


def role_password(service: str) -> str:
    """``PASSPRO_<SERVICE>_DATABASE_PASSWORD``, or on the local stack the role's name (as the services assume)."""
    return os.environ.get(role_password_variable(service)) or role_of(service)


def scram_verifier(password: str, salt: bytes | None = None) -> str:
    """What the server stores for ``password`` (RFC 5802/7677, as ``psql``'s \\password computes it)."""
    salt = salt if salt is not None else os.urandom(16)
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, SCRAM_ITERATIONS)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored_key = hashlib.sha256(client_key).digest()
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()

    def b64(raw: bytes) -> str:
        return base64.b64encode(raw).decode()

    return f"SCRAM-SHA-256${SCRAM_ITERATIONS}:{b64(salt)}${b64(stored_key)}:{b64(server_key)}"


def _ident(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"{name!r} is not a plain PostgreSQL name")
    return f'"{name}"'


async def ensure_login_role(conn: asyncpg.Connection, role: str, password: str) -> None:
    """``role`` exists, may log in with ``password`` and holds no other attribute. Needs a superuser."""
    verifier = scram_verifier(password)
    assert _VERIFIER.match(verifier)  # base64 and separators only: safe inside the literal
    exists = await conn.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role)
    verb = "ALTER" if exists else "CREATE"
    await conn.execute(
        f"{verb} ROLE {_ident(role)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS "
        f"PASSWORD '{verifier}'"
    )


async def ensure_service_roles(conn: asyncpg.Connection, admin: str, databases: tuple[str, ...]) -> None:
    """One login role per service; only they and ``admin`` may connect to ``databases``. Needs a superuser."""
    for service in routing.SERVICES:
        role = role_of(service)
        await ensure_login_role(conn, role, role_password(service))
        await conn.execute(f"GRANT {_ident(role)} TO {_ident(admin)}")
    for database in databases:
        # PUBLIC may connect to any database by default: here only the roles that need it may.
        await conn.execute(f"REVOKE ALL ON DATABASE {_ident(database)} FROM PUBLIC")
        for service in routing.SERVICES:
            await conn.execute(f"GRANT CONNECT ON DATABASE {_ident(database)} TO {_ident(role_of(service))}")


async def ensure_service_schemas(conn: asyncpg.Connection) -> None:
    """Each service's schema exists in ``conn``'s database and it and everything in it belong to its role.

    Runs as the administrator (a member of every service role) or a superuser. Objects an older layout
    left to the administrator are handed over, so the service's role can use them.
    """
    for service in routing.SERVICES:
        role = role_of(service)
        if not await conn.fetchval("SELECT EXISTS (SELECT FROM pg_roles WHERE rolname = $1)", role):
            raise RuntimeError(f"database role {role} is missing: `python -m deploy.local infra-up` makes it")
        schema, owner = _ident(service), _ident(role)
        await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {schema} AUTHORIZATION {owner}")
        await conn.execute(f"ALTER SCHEMA {schema} OWNER TO {owner}")
        await conn.execute(f"REVOKE ALL ON SCHEMA {schema} FROM PUBLIC")
        # Tables first: their indexes and serial sequences follow them; then what is left on its own.
        for kind, statement in (
            ("r", "TABLE"),
            ("p", "TABLE"),
            ("v", "VIEW"),
            ("m", "MATERIALIZED VIEW"),
            ("S", "SEQUENCE"),
        ):
            names = await conn.fetch(
                "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                " WHERE n.nspname = $1 AND c.relkind::text = $2 AND c.relowner <> $3::regrole",
                service,
                kind,
                role,
            )
            for row in names:
                await conn.execute(f"ALTER {statement} {schema}.{_ident(row['relname'])} OWNER TO {owner}")
