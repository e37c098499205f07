"""Where the local stack keeps its state and listens: paths, ports and the addresses made of them (PASSPRO_*)."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from contracts import routing

ROOT = Path(__file__).resolve().parents[2]
VAR = Path(os.environ.get("PASSPRO_VAR", ROOT / "var"))
RUN = VAR / "run"
LOG = VAR / "log"
RABBIT = VAR / "rabbitmq"
PG = VAR / "postgres"
PG_BIN = Path(os.environ.get("PASSPRO_PG_BIN", "/usr/lib/postgresql/15/bin"))

AMQP_PORT = int(os.environ.get("PASSPRO_AMQP_PORT", "5672"))
MANAGEMENT_PORT = int(os.environ.get("PASSPRO_MANAGEMENT_PORT", "15672"))
PG_PORT = int(os.environ.get("PASSPRO_PG_PORT", "5432"))
RABBIT_NODE = os.environ.get("PASSPRO_RABBIT_NODE", "passpro@localhost")
DB_USER = "passpro"
DB_PASSWORD = os.environ.get("PASSPRO_DB_PASSWORD", "passpro")
DATABASES = ("passpro", "passpro_test")

HEALTH_BASE_PORT = int(os.environ.get("PASSPRO_HEALTH_BASE_PORT", "8081"))
HEALTH_PORTS = {name: HEALTH_BASE_PORT + i for i, name in enumerate(routing.SERVICES)}
"""Each service's health and metrics port on the local stack; its further replica k listens on this + 100 × k."""
REPLICAS = int(os.environ["PASSPRO_REPLICAS"]) if os.environ.get("PASSPRO_REPLICAS") else None
"""Processes per service; unset, ``up`` keeps as many as already run (at least one)."""
AFFELNET_PORT = int(os.environ.get("PASSPRO_AFFELNET_PORT", "8090"))
"""The local receiver standing in for Affelnet (unless PASSPRO_AFFELNET_URL points elsewhere)."""
MAIL_PORT = int(os.environ.get("PASSPRO_SMTP_PORT", "8025"))


MAIL_SINK = os.environ.get("PASSPRO_MAIL_SINK", "storing")
"""``storing`` (every mail an .eml under var/mail) or ``counting`` (benchmarks: counts, keeps nothing)."""


@dataclass(frozen=True)
class Addresses:
    amqp: str = f"amqp://127.0.0.1:{AMQP_PORT}/{routing.VHOST}"
    management: str = f"http://127.0.0.1:{MANAGEMENT_PORT}/"
    database: str = f"postgresql://127.0.0.1:{PG_PORT}/passpro"
    """The services': naming no user, each connects as its own role (``passpro_<service>``)."""
    admin_database: str = f"postgresql://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{PG_PORT}/passpro"
    """Operators' and tools' administrative connection (schema drops of a fresh campaign, benchmarks)."""
