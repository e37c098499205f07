"""A fresh campaign for the simulator: the e2e test stack started at the campaign's opening, mails kept on disk.

A campaign of its own (the clock only moves forward), as every end-to-end file has: emptied schemas and queues,
the five services on a clock at the opening. ``make test`` runs it in a pytest session of its own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from contracts.campaign import load_campaign
from harness.mail_sink import MailSink
from harness.mail_sink import start as start_sink
from ops.simulation.fresh import opening
from tests.e2e.conftest import SMTP_PORT, affelnet, fresh_stack
from tests.stack import ServiceStack

__all__ = ["affelnet"]


@pytest.fixture(scope="module")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The real SMTP server of the run, keeping every mail as an .eml file, as the local mail sink does."""
    directory = tmp_path_factory.mktemp("mail")
    controller = start_sink(MailSink(directory), SMTP_PORT)
    yield directory
    controller.stop()


@pytest.fixture(scope="module")
async def stack(affelnet: object, mail_dir: Path) -> AsyncIterator[ServiceStack]:
    async with fresh_stack(opening(load_campaign()).isoformat()) as services:
        yield services
