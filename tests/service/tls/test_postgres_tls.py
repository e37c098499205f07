"""The services' database connection over TLS, against a PostgreSQL cluster this test starts that accepts TLS only.

The roles are made by the deployments' provisioning job (``python -m deploy.provision``), over TLS as well.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from contracts import routing
from contracts.database import role_of, role_password_variable
from services.runtime.database import create_pool, migrate
from services.runtime.settings import ServiceSettings
from tests.certificates import Authority, make_authority
from tests.service.tls.test_smtp_tls import free_port

PG_BIN = Path(os.environ.get("PASSPRO_PG_BIN", "/usr/lib/postgresql/15/bin"))
SERVICE = "enrollment"
PASSWORDS = {service: uuid.uuid4().hex for service in routing.SERVICES}
PASSWORD = PASSWORDS[SERVICE]
ADMIN_PASSWORD = uuid.uuid4().hex


def as_postgres(*command: str | Path) -> None:
    """initdb refuses to run as root; the server's files belong to ``postgres``."""
    subprocess.run(
        [str(part) for part in command], check=True, capture_output=True, user="postgres" if os.geteuid() == 0 else None
    )


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[int, Authority, Path]]:
    """A throwaway cluster: ``hostssl`` only (a plain TCP login finds no pg_hba line), SCRAM passwords."""
    home = Path(tempfile.mkdtemp(prefix="passpro-pg-tls-"))
    authority = make_authority(home / "tls")
    data, port = home / "data", free_port()
    if os.geteuid() == 0:
        for path in (home, *home.rglob("*")):
            shutil.chown(path, "postgres")
    (authority.key_file).chmod(0o600)
    as_postgres(PG_BIN / "initdb", "-D", data, "-U", "postgres", "--auth-local=trust", "--auth-host=reject")
    (data / "pg_hba.conf").write_text("local all postgres trust\nhostssl all all 127.0.0.1/32 scram-sha-256\n")
    options = (
        f"-c port={port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={home} -c ssl=on "
        f"-c ssl_cert_file={authority.cert_file} -c ssl_key_file={authority.key_file}"
    )
    as_postgres(PG_BIN / "pg_ctl", "-D", data, "-o", options, "-l", home / "server.log", "-w", "start")
    try:
        asyncio.run(_administrator(home, port))
        job = subprocess.run(
            [sys.executable, "-m", "deploy.provision"],
            capture_output=True,
            text=True,
            env={
                **os.environ,
                "PASSPRO_DATABASE_URL": f"postgresql://127.0.0.1:{port}/passpro",
                "PASSPRO_DATABASE_USER": "passpro",
                "PASSPRO_DATABASE_PASSWORD": ADMIN_PASSWORD,
                "PASSPRO_DATABASE_TLS": "verify-full",
                "PASSPRO_DATABASE_CA_FILE": str(authority.ca_file),
                **{role_password_variable(service): password for service, password in PASSWORDS.items()},
            },
        )
        assert job.returncode == 0, job.stderr
        assert ADMIN_PASSWORD not in job.stdout + job.stderr
        assert all(password not in job.stdout + job.stderr for password in PASSWORDS.values())
        yield port, authority, home
    finally:
        as_postgres(PG_BIN / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop")
        shutil.rmtree(home, ignore_errors=True)


async def _administrator(socket_dir: Path, port: int) -> None:
    """What the postgres image does with POSTGRES_USER: a superuser and its database."""
    conn = await asyncpg.connect(host=str(socket_dir), port=port, user="postgres", database="postgres")
    try:
        await conn.execute(f"CREATE ROLE passpro SUPERUSER LOGIN PASSWORD '{ADMIN_PASSWORD}'")
        await conn.execute("CREATE DATABASE passpro OWNER passpro")
    finally:
        await conn.close()


def settings(port: int, **tls: Any) -> ServiceSettings:
    return ServiceSettings(database_url=f"postgresql://127.0.0.1:{port}/passpro", database_password=PASSWORD, **tls)


@pytest.fixture
async def verified(cluster: tuple[int, Authority, Path]) -> AsyncIterator[ServiceSettings]:
    port, authority, _ = cluster
    yield settings(port, database_tls="verify-full", database_ca_file=authority.ca_file)


async def test_migrations_and_pool_run_over_verified_tls(verified: ServiceSettings, tmp_path: Path) -> None:
    login = verified.database_login(SERVICE)
    streams = {"probe": tmp_path}
    (tmp_path / "0001_probe.sql").write_text("CREATE TABLE probe (id int PRIMARY KEY);")
    assert await migrate(login, SERVICE, streams) == ["probe/0001_probe.sql"]
    pool = await create_pool(login, SERVICE, 2)
    try:
        async with pool.acquire() as conn:
            row = await conn.fetchrow("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
            user = await conn.fetchval("SELECT current_user")
    finally:
        await pool.close()
    assert row["ssl"] is True and row["version"] in ("TLSv1.2", "TLSv1.3")
    assert user == "passpro_enrollment"


async def test_the_job_made_one_role_per_service_each_owning_only_its_schema(
    cluster: tuple[int, Authority, Path],
) -> None:
    port, authority, _ = cluster
    conn = await asyncpg.connect(
        f"postgresql://127.0.0.1:{port}/passpro",
        user=role_of("scheduling"),
        password=PASSWORDS["scheduling"],
        ssl=settings(port, database_ca_file=authority.ca_file).database_tls_option(),
    )
    try:
        owners = dict(
            await conn.fetch(
                "SELECT nspname, nspowner::regrole::text FROM pg_namespace WHERE nspname = ANY($1::text[])",
                list(routing.SERVICES),
            )
        )
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await conn.execute("CREATE TABLE enrollment.intruder (id int)")
        superuser = await conn.fetchval("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
    finally:
        await conn.close()
    assert owners == {service: role_of(service) for service in routing.SERVICES}
    assert superuser is False


def test_the_job_refuses_to_run_without_every_roles_password() -> None:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("PASSPRO_")}
    job = subprocess.run(
        [sys.executable, "-m", "deploy.provision"],
        capture_output=True,
        text=True,
        env={
            **environment,
            "PASSPRO_DATABASE_URL": "postgresql://127.0.0.1:1/passpro",
            "PASSPRO_DATABASE_USER": "passpro",
            "PASSPRO_DATABASE_PASSWORD": "x",
        },
    )

    assert job.returncode != 0
    assert all(role_password_variable(service) in job.stderr for service in routing.SERVICES)


async def test_a_server_certificate_from_another_authority_is_refused(
    cluster: tuple[int, Authority, Path], tmp_path: Path
) -> None:
    port, _, _ = cluster
    stranger = make_authority(tmp_path, "stranger")
    login = settings(port, database_tls="verify-full", database_ca_file=stranger.ca_file).database_login(SERVICE)
    with pytest.raises(Exception, match="certificate verify failed"):
        await create_pool(login, SERVICE, 1)


async def test_without_tls_the_server_refuses_the_login(cluster: tuple[int, Authority, Path]) -> None:
    port, _, _ = cluster
    login = settings(port, database_tls="disable").database_login(SERVICE)
    with pytest.raises(asyncpg.InvalidAuthorizationSpecificationError, match="no encryption"):
        await create_pool(login, SERVICE, 1)
