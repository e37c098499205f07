"""A PostgreSQL of a test's own, which the test may stop and start (a real outage) without disturbing the
shared one the other tests use."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.service.tls.test_postgres_tls import PG_BIN, as_postgres
from tests.service.tls.test_smtp_tls import free_port


class OwnPostgres:
    """A throwaway PostgreSQL on a free port, trusting local TCP logins: stopped and started by the test."""

    def __init__(self) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="passpro-pg-outage-"))
        self.data, self.port = self.home / "data", free_port()
        if os.geteuid() == 0:  # initdb refuses to run as root
            shutil.chown(self.home, "postgres")
        as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "passpro", "--auth=trust")

    @property
    def url(self) -> str:
        return f"postgresql://passpro@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-c port={self.port} -c listen_addresses=127.0.0.1 -c unix_socket_directories={self.home}"
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", options, "-l", self.home / "server.log", "-w", "start")

    def stop(self) -> None:
        as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def remove(self) -> None:
        shutil.rmtree(self.home, ignore_errors=True)


@pytest.fixture(scope="module")
def postgres() -> Iterator[OwnPostgres]:
    server = OwnPostgres()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(Exception):  # already stopped by a failing test
            server.stop()
        server.remove()
