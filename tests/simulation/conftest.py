"""A fresh campaign for the simulator: the e2e test stack started at the campaign's opening, mails kept on disk.

It needs a campaign of its own (the clock only moves forward), so it runs alone, in its own pytest
invocation after the rest of the suite: ``flock /tmp/passpro-e2e.lock pytest tests/simulation``.
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

HERE = Path(__file__).parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Skipped when collected with other tests: their stack shares the test vhost and moves its clock."""
    if all(HERE in item.path.parents for item in items):
        return
    alone = pytest.mark.skip(reason="needs a fresh campaign: run it alone, `pytest tests/simulation`")
    for item in items:
        if HERE in item.path.parents:
            item.add_marker(alone)


@pytest.fixture(scope="session")
def mail_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The real SMTP server of the run, keeping every mail as an .eml file, as the local mail sink does."""
    directory = tmp_path_factory.mktemp("mail")
    controller = start_sink(MailSink(directory), SMTP_PORT)
    yield directory
    controller.stop()


@pytest.fixture(scope="session")
async def stack(affelnet: object, mail_dir: Path) -> AsyncIterator[ServiceStack]:
    async with fresh_stack(opening(load_campaign()).isoformat()) as services:
        yield services
