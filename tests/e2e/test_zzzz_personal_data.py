"""Pupils' personal data never reaches a log or a metric: everything the session's portals sent, looked for.

Every log the stack writes (the services', the broker's, the database's) and the services' metrics
hold no INE, name, birth date, referent, comment or report; the mails' headers (which mail relays
log) and the operators' command output (which lands in terminals, tickets and shell histories) hold
no INE.

It plays a small campaign of its own (registration, booking and convocation, report and recap sheet), so it
has something to look for alone; with other files in the session (whatever their order) it also looks at what
they sent and what their stacks wrote, received and printed.
"""

from __future__ import annotations

import asyncio
import json
from datetime import date
from typing import Any

import httpx
import pytest

from harness.portal import PortalClient
from ops.cli import app
from ops.settings import local_service_urls
from tests.conftest import TEST_VHOST
from tests.e2e.conftest import Clock, Session, SmtpServer, tail
from tests.e2e.played import play_one_pupil
from tests.privacy import OPS_OUTPUT, find_personal_data, ines, invoke_ops, personal_values
from tests.stack import HEALTH_BASE_PORT, LOGS, ServiceStack, infrastructure_logs

pytestmark = pytest.mark.e2e

FORMATION, DOMAIN, RECEPTION = "2nde-pro-agri-production-animale", "production-agricole", "0940784S"
REGISTRATION_DEADLINE = date(2013, 3, 29)


async def answer_of(portal: PortalClient, command: str, body: dict) -> dict:
    await portal.send(command, body)
    return await portal.outcome(body["command_id"], timeout=30)


@pytest.fixture(scope="module")
async def campaign_played(portal: PortalClient, clock: Clock) -> None:
    """A small campaign of the file's own: every service has logged, counted and mailed about a pupil."""
    await play_one_pupil(portal, clock)


COVERAGE = LOGS / "personal-data-scan.json"
"""What each scan looked at, for the figures: sources, lines, values looked for, findings."""


def record_coverage(scan: str, sources: dict[str, str], values: object, findings: list[object]) -> None:
    figures = json.loads(COVERAGE.read_text()) if COVERAGE.exists() else {}
    figures[scan] = {
        "sources": len(sources),
        "lines": sum(text.count("\n") + 1 for text in sources.values()),
        "values": len(values) if isinstance(values, (list, set, dict)) else None,
        "findings": len(findings),
    }
    COVERAGE.write_text(json.dumps(figures, indent=1))


def sent(session: Session, portal: PortalClient) -> list[tuple[str, dict[str, Any] | bytes]]:
    """What every portal of the session published: the files before this one, and this file's."""
    return [*session.sent, *portal.sent]


async def test_no_personal_data_the_portal_sent_is_in_a_log_or_metric(
    stack: ServiceStack, portal: PortalClient, session: Session, campaign_played: None
) -> None:
    values = personal_values(body for _, body in sent(session, portal))
    sources = dict(session.logs())
    for name, path in infrastructure_logs().items():
        assert path.exists(), f"{path} not found: run with PASSPRO_VAR set where `deploy.local infra-up` ran"
        sources[name] = tail(path, session.infrastructure_log_starts[name])
    async with httpx.AsyncClient(timeout=10) as client:
        for process in stack.procs:
            sources[f"{process} /metrics"] = (await client.get(f"http://127.0.0.1:{stack.port(process)}/metrics")).text

    findings = find_personal_data(sources, values)
    record_coverage("logs and metrics", sources, values, findings)

    assert values and all(sources[f"{p}.log"] for p in stack.procs), "nothing to look for, or nowhere to look"
    assert findings == [], "personal data found (source, line, field sent in):\n" + "\n".join(
        f"  {f.source}:{f.line} {f.field}" for f in findings[:50]
    )


async def test_no_ine_the_portal_sent_is_in_a_mail_header(
    smtp: SmtpServer, portal: PortalClient, session: Session, campaign_played: None
) -> None:
    values = ines(personal_values(body for _, body in sent(session, portal)))
    mails = [*session.mails, *smtp.sink.received()]
    headers = {f"mail {n} headers": "\n".join(f"{k}: {v}" for k, v in mail.items()) for n, mail in enumerate(mails)}

    findings = find_personal_data(headers, values)
    record_coverage("mail headers", headers, values, findings)

    assert values and mails, "no INE to look for, or no mail to look in"
    assert findings == [], "INE found in mail headers (mail, line, field):\n" + "\n".join(
        f"  {f.source}:{f.line} {f.field}" for f in findings[:50]
    )


async def test_no_ine_the_portal_sent_is_in_the_operators_command_output(
    stack: ServiceStack, portal: PortalClient, session: Session, campaign_played: None
) -> None:
    env = {
        "PASSPRO_VHOST": TEST_VHOST,
        "COLUMNS": "400",
        "PASSPRO_SERVICE_URLS": json.dumps(local_service_urls(HEALTH_BASE_PORT)),
    }
    # The commands operators run daily, besides what other files of the session ran (failed, replay, purge…).
    for arguments in (["ops", "queues"], ["ops", "failed"], ["ops", "campaign"], ["ops", "campaign", "--json"]):
        result = await asyncio.to_thread(invoke_ops, app, arguments, env=env)
        assert result.exit_code == 0, result.output
    values = ines(personal_values(body for _, body in sent(session, portal)))

    findings = find_personal_data(OPS_OUTPUT, values)
    record_coverage("operators' command output", OPS_OUTPUT, values, findings)

    assert values and all(OPS_OUTPUT.values()), "no INE to look for, or a command printed nothing"
    assert findings == [], "INE found in operators' command output (command, line, field):\n" + "\n".join(
        f"  {f.source}:{f.line} {f.field}" for f in findings[:50]
    )
