"""The local stack's settings (PASSPRO_*), read from the environment once, when first asked for, as one value."""

from __future__ import annotations

import functools
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from contracts import routing

ROOT = Path(__file__).resolve().parents[2]
"""The checkout: processes run from it; its ``var/`` holds the stack's state unless PASSPRO_VAR says otherwise."""
DB_USER = "passpro"
DATABASES = ("passpro", "passpro_test")


@dataclass(frozen=True)
class Addresses:
    amqp: str
    management: str
    database: str
    """The services': naming no user, each connects as its own role (``passpro_<service>``)."""
    admin_database: str
    """Operators' and tools' administrative connection (schema drops of a fresh campaign, benchmarks)."""


@dataclass(frozen=True)
class LocalSettings:
    """Where the local stack keeps its state and listens; every value has its PASSPRO_* variable."""

    var: Path
    pg_bin: Path
    amqp_port: int
    management_port: int
    pg_port: int
    rabbit_node: str
    """The single node's Erlang name; a cluster's nodes are ``<name>-1@<host>``…"""
    db_password: str
    health_base_port: int
    replicas: int | None
    """Processes per service; unset, ``up`` keeps as many as already run (at least one)."""
    cluster: int | None
    """RabbitMQ nodes (PASSPRO_CLUSTER); unset, the cluster recorded under var/, else one node."""
    affelnet_port: int
    """The local receiver standing in for Affelnet (unless PASSPRO_AFFELNET_URL points elsewhere)."""
    affelnet_url: str | None
    mail_port: int
    mail_sink: str
    """``storing`` (every mail an .eml under var/mail) or ``counting`` (benchmarks: counts, keeps nothing)."""
    smtp_host: str | None
    """A real SMTP server: then the stack starts no mail sink."""
    clock: str
    """PASSPRO_CLOCK as the services get it (``wall`` when unset): ``up --virtual`` restarts those on another."""

    @classmethod
    def from_environment(cls, environ: Mapping[str, str]) -> LocalSettings:
        def number(name: str) -> int | None:
            return int(environ[name]) if environ.get(name) else None

        return cls(
            var=Path(environ.get("PASSPRO_VAR", ROOT / "var")),
            pg_bin=Path(environ.get("PASSPRO_PG_BIN", "/usr/lib/postgresql/15/bin")),
            amqp_port=int(environ.get("PASSPRO_AMQP_PORT", "5672")),
            management_port=int(environ.get("PASSPRO_MANAGEMENT_PORT", "15672")),
            pg_port=int(environ.get("PASSPRO_PG_PORT", "5432")),
            rabbit_node=environ.get("PASSPRO_RABBIT_NODE", "passpro@localhost"),
            db_password=environ.get("PASSPRO_DB_PASSWORD", "passpro"),
            health_base_port=int(environ.get("PASSPRO_HEALTH_BASE_PORT", "8081")),
            replicas=number("PASSPRO_REPLICAS"),
            cluster=number("PASSPRO_CLUSTER"),
            affelnet_port=int(environ.get("PASSPRO_AFFELNET_PORT", "8090")),
            affelnet_url=environ.get("PASSPRO_AFFELNET_URL"),
            mail_port=int(environ.get("PASSPRO_SMTP_PORT", "8025")),
            mail_sink=environ.get("PASSPRO_MAIL_SINK", "storing"),
            smtp_host=environ.get("PASSPRO_SMTP_HOST"),
            clock=environ.get("PASSPRO_CLOCK", "wall"),
        )

    @property
    def run(self) -> Path:
        return self.var / "run"

    @property
    def log(self) -> Path:
        return self.var / "log"

    @property
    def rabbit(self) -> Path:
        return self.var / "rabbitmq"

    @property
    def pg(self) -> Path:
        return self.var / "postgres"

    @property
    def health_ports(self) -> dict[str, int]:
        """Each service's health and metrics port; its further replica k listens on this + 100 × k."""
        return {name: self.health_base_port + i for i, name in enumerate(routing.SERVICES)}

    @property
    def addresses(self) -> Addresses:
        return Addresses(
            amqp=f"amqp://127.0.0.1:{self.amqp_port}/{routing.VHOST}",
            management=f"http://127.0.0.1:{self.management_port}/",
            database=f"postgresql://127.0.0.1:{self.pg_port}/passpro",
            admin_database=f"postgresql://{DB_USER}:{self.db_password}@127.0.0.1:{self.pg_port}/passpro",
        )


@functools.cache
def settings() -> LocalSettings:
    """The local stack's settings, read on the first call: importing a module of the stack reads nothing."""
    return LocalSettings.from_environment(os.environ)
