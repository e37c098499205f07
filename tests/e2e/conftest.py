"""The whole stack from the public interface: five service processes, the real broker and database."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from harness.affelnet_receiver import AffelnetReceiver, serve
from harness.mail_sink import MailSink
from harness.mail_sink import start as start_sink
from harness.portal import PortalClient
from tests.conftest import PORTAL_URL
from tests.stack import LOGS, ServiceStack, infrastructure_logs, log_size, reset_state

CAMPAIGN = "2013"
START = "2013-02-01T08:00:00+01:00"
"""Each file's campaign starts before registrations open; its tests move the virtual clock forward only."""
OPEN = "2013-02-11T08:00:00+01:00"

AFFELNET_PORT = 18090
AFFELNET_TOKEN = "test-affelnet-token"
SMTP_PORT = 18025
OPERATORS_MAILBOX = "saio-passpro@ac-creteil.fr"


@dataclass
class Session:
    """What the whole session did across the files' own campaigns, for the scans that look at all of it.

    Each file plays a campaign of its own (its own stack, clock, SMTP server and Affelnet): no file depends on
    another having run first. The personal-data scans still look at everything the session sent and wrote.
    """

    log_starts: dict[str, int]
    """Size of each log of ``var/log/tests`` when the session started: the session's lines come after."""
    infrastructure_log_starts: dict[str, int]
    sent: list[tuple[str, dict[str, Any] | bytes]] = field(default_factory=list)
    """Every command the files' portals published."""
    mails: list[EmailMessage] = field(default_factory=list)
    """Every mail the files' SMTP servers received."""

    def logs(self) -> dict[str, str]:
        """The session's lines of every log the test stacks wrote, by file name."""
        return {path.name: tail(path, self.log_starts.get(path.name, 0)) for path in sorted(LOGS.glob("*.log"))}


def tail(path: Path, start: int) -> str:
    with path.open("rb") as log:
        log.seek(start)
        return log.read().decode("utf-8", "replace")


@pytest.fixture(scope="session")
def session() -> Session:
    LOGS.mkdir(parents=True, exist_ok=True)
    return Session(
        log_starts={path.name: log_size(path) for path in LOGS.glob("*.log")},
        infrastructure_log_starts={name: log_size(path) for name, path in infrastructure_logs().items()},
    )


@pytest.fixture(scope="module")
async def affelnet() -> AsyncIterator[AffelnetReceiver]:
    """The real local HTTP server standing in for Affelnet during the file."""
    receiver = AffelnetReceiver(AFFELNET_TOKEN)
    server, task = await serve(receiver, AFFELNET_PORT)
    yield receiver
    server.should_exit = True
    await task


class SmtpServer:
    """The real SMTP server of the file (aiosmtpd); tests can take it down and bring it back."""

    def __init__(self) -> None:
        self.sink = MailSink()
        self.controller = start_sink(self.sink, SMTP_PORT)

    def down(self) -> None:
        self.controller.stop()

    def up(self) -> None:
        self.controller = start_sink(self.sink, SMTP_PORT)


@pytest.fixture(scope="module")
def smtp(session: Session) -> Iterator[SmtpServer]:
    server = SmtpServer()
    yield server
    session.mails += server.sink.received()
    with contextlib.suppress(Exception):  # already down when a test left it so
        server.down()


@contextlib.asynccontextmanager
async def fresh_stack(clock: str) -> AsyncIterator[ServiceStack]:
    """A fresh campaign on the test vhost and database, the five services on ``clock``, talking to the file's
    Affelnet receiver and SMTP server; stopped on leaving."""
    await reset_state()
    services = ServiceStack(
        clock=clock,
        extra_env={
            "PASSPRO_AFFELNET_URL": f"http://127.0.0.1:{AFFELNET_PORT}",
            "PASSPRO_AFFELNET_TOKEN": AFFELNET_TOKEN,
            "PASSPRO_SMTP_HOST": "127.0.0.1",
            "PASSPRO_SMTP_PORT": str(SMTP_PORT),
            "PASSPRO_OPERATORS_MAILBOX": OPERATORS_MAILBOX,
        },
    )
    try:
        await services.start_all()
        yield services
    finally:
        services.stop_all()


@pytest.fixture(scope="module")
async def stack(affelnet: AffelnetReceiver, smtp: SmtpServer) -> AsyncIterator[ServiceStack]:
    """The file's own campaign: emptied schemas and queues, the five services on a clock at ``START``."""
    async with fresh_stack(START) as services:
        yield services


@pytest.fixture(scope="module")
async def portal(stack: ServiceStack, session: Session) -> AsyncIterator[PortalClient]:
    async with PortalClient(PORTAL_URL) as client:
        yield client
        session.sent += client.sent


class Clock:
    """Moves every service's virtual clock, through the public ``advance_clock`` command."""

    def __init__(self, portal: PortalClient) -> None:
        self.portal = portal
        self.at = datetime.fromisoformat(START)

    async def at_least(self, instant: str) -> None:
        target = datetime.fromisoformat(instant)
        if target <= self.at:
            return
        command_id = str(uuid.uuid4())
        await self.portal.send(
            "advance_clock",
            {"command_id": command_id, "campaign": CAMPAIGN, "actor_uai": "0941918Z", "to": instant},
        )
        for service in ("enrollment", "scheduling", "opinions", "notifications", "affelnet_export"):
            await self.portal.wait_for(
                lambda e, s=service: e["_routing_key"] == f"{s}.clock_advanced" and e.get("causation_id") == command_id
            )
        self.at = target


@pytest.fixture(scope="module")
async def clock(portal: PortalClient) -> Clock:
    return Clock(portal)


def new_ine() -> str:
    """A valid INE of the 10 digits + 1 letter form, unique within the run."""
    return f"{uuid.uuid4().int % 10**10:010d}X"


def register_body(**overrides: Any) -> dict[str, Any]:
    """A valid ``register_candidacy`` from the origin school 0930122C (Seine-Saint-Denis)."""
    pupil = {
        "ine": new_ine(),
        "last_name": "Lefèvre",
        "first_name": "Inès",
        "birth_date": "1998-05-14",
        "class_level": "3eme",
    }
    pupil.update(overrides.pop("pupil", {}))
    body: dict[str, Any] = {
        "command_id": str(uuid.uuid4()),
        "campaign": CAMPAIGN,
        "actor_uai": "0930122C",
        "channel": "portal",
        "pupil": pupil,
        "origin_uai": "0930122C",
        "referent": {"name": "Mme Durand", "email": "referente.durand@example.org"},
        "formation_code": "cap-cuisine",
        "origin_opinion": "favorable",
        "origin_comment": "Élève motivée, a fait un stage d'observation en cuisine.",
    }
    body.update(overrides)
    return body
