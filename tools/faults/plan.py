"""What a fault run plays and which faults it injects: the full form of ``make faults`` and the test's short form."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tools.faults.infra import ROOT


@dataclass(frozen=True)
class Plan:
    """The defaults are the full run of ``make faults``."""

    pupils: int = 5000
    kills: int = 10
    kill_every: float = 60.0
    """Mean seconds between two kills."""
    terms: int = 3
    """Services stopped by SIGTERM while they work (as an orchestrator's rolling update does), then started."""
    term_grace: float = 45.0
    """Seconds a stopped service may take to drain before that counts as stuck (its own grace is 30 s per part)."""
    broker_restarts: int = 1
    database_restarts: int = 1
    broker_moments: tuple[str, ...] = ("registrations", "reports", "late wishes")
    """When the RabbitMQ restarts happen, the first ``broker_restarts`` of: 40 % of the registrations
    published, 50 % of the reports published, the late wish confirmations."""
    database_moments: tuple[str, ...] = ("bookings", "late wishes", "reports")
    """When the PostgreSQL restarts happen: 30 % of the interviews booked, then as above."""
    broker_down: float = 5.0
    database_down: float = 3.0
    db_outage_seconds: float = 600.0
    """PostgreSQL stopped this long in the middle of the campaign (0: no outage), far past the 3 minutes in which
    the broker's delivery limit once parked every message that met it."""
    db_outage_moment: str = "registrations"
    """When it starts: a moment of ``database_moments`` (here 40 % of the registrations published)."""
    smtp_outage: float = 60.0
    affelnet_outage: float = 120.0
    affelnet_503: int = 200
    """Posts Affelnet answers 503 once it is back."""
    affelnet_swallowed: int = 20
    """Bonus posts whose answer the network loses after Affelnet applied them (the sender's time-out)."""
    smtp_slow: float = 60.0
    """Seconds the link to SMTP is slow (each chunk held ``smtp_delay`` seconds), while convocations are sent."""
    smtp_delay: float = 0.2
    resend: float = 0.05
    """Share of the commands a portal publishes twice (same ``command_id``)."""
    seed: int | None = None
    var: Path = ROOT / "var" / "faults"
    amqp_port: int = 5682
    management_port: int = 15682
    pg_port: int = 5442
    node: str = "passpro-faults@localhost"
    health_port: int = 29081
    smtp_port: int = 29025
    affelnet_port: int = 29090
    patience: float = 1.0
    """Multiplies every deadline (a slower machine needs more)."""

    @property
    def smtp_wire_port(self) -> int:
        """Where the services reach SMTP: the run's network relay (``tools.faults.wire``) in front of it."""
        return self.smtp_port + 1

    @property
    def affelnet_wire_port(self) -> int:
        return self.affelnet_port + 1

    def deadline(self, items: int) -> float:
        """Seconds a phase of ``items`` messages may take before what is missing counts as lost."""
        return self.patience * (600 + 0.25 * items)


SHORT: dict[str, Any] = {
    "pupils": 200,
    "kills": 3,
    "kill_every": 10.0,
    "terms": 2,
    "smtp_outage": 12.0,
    "affelnet_outage": 10.0,
    "affelnet_503": 20,
    "affelnet_swallowed": 5,
    "smtp_slow": 15.0,
    "broker_down": 2.0,
    "database_down": 2.0,
    "broker_moments": ("reports", "registrations", "late wishes"),
    "database_moments": ("registrations", "bookings", "late wishes"),
    "db_outage_seconds": 190.0,
}
"""The short form the test suite runs: every kind of fault, in a few minutes. Its database restart comes
during the registrations, before any mail is sent: one that caught a mail between SMTP and its record
would leave it leased for two minutes, which the full run waits for and the short one need not. Its PostgreSQL
outage (190 s, longer than the 181 s of pauses after which the old design parked a message) follows that restart,
while most of the registrations are still to be handled."""

OUTAGE: dict[str, Any] = {
    **SHORT,
    "kills": 0,
    "terms": 0,
    "broker_restarts": 0,
    "database_restarts": 0,
    "smtp_outage": 0.0,
    "affelnet_outage": 0.0,
    "affelnet_503": 0,
    "affelnet_swallowed": 0,
    "smtp_slow": 0.0,
    "db_outage_seconds": 600.0,
}
"""``make faults-outage``: the short campaign with one 10-minute PostgreSQL outage and no other fault, so that what
it shows (nothing parked, nothing lost, each effect once, the retries) is the outage's doing alone."""
