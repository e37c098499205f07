"""Reception schools end to end (R14, R15, R19): the shortfall mail once per episode, the planning sheet the day
before at 16:00 with its PDF and CSV, the updated sheet after a withdrawal, and the operators' view of a day.

One domain no other file of this session uses, so the counts below are this file's own.
"""

from __future__ import annotations

import csv
import io
import re
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

import httpx
import pytest
from pypdf import PdfReader

from harness.mail_sink import MailSink
from harness.portal import PortalClient
from ops.planning import fetch
from ops.settings import OpsSettings
from tests.e2e.conftest import OPEN, OPERATORS_MAILBOX, Clock, SmtpServer
from tests.e2e.test_scheduling import booked, register, send, slots_body
from tests.e2e.test_yzz_notifications import attachment, mails
from tests.stack import ServiceStack

pytestmark = pytest.mark.e2e
DOMAIN, FORMATION = "photographie", "2nde-pro-photographie"
ELUARD, NADAR = "0931238R", "0940617K"  # the domain's two reception schools


@pytest.fixture(scope="module")
def sink(smtp: SmtpServer) -> MailSink:
    return smtp.sink


def shortfall_mails(sink: MailSink) -> Callable[[EmailMessage], bool]:
    return lambda m: str(m["Subject"]).startswith("Manque de places Passpro – Photographie –")


def told(mail: EmailMessage) -> int:
    found = re.search(r"(\d+) élèves? en attente", str(mail["Subject"]))
    assert found, mail["Subject"]
    return int(found.group(1))


def sheet_of(school: str, updated: bool = False) -> Callable[[EmailMessage], bool]:
    prefix = "Planning Passpro (mis à jour)" if updated else "Planning Passpro –"
    return lambda m: str(m["Subject"]).startswith(prefix) and f"({school})" in str(m["Subject"])


def csv_rows(mail: EmailMessage) -> list[list[str]]:
    data = attachment(mail, "planning.csv")
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";"))


@pytest.fixture(scope="module")
async def campaign(portal: PortalClient, clock: Clock, sink: MailSink) -> dict[str, Any]:
    """Three pupils wait for lack of seats, then get them; a fourth waits in a new episode and is booked too."""
    await clock.at_least(OPEN)
    comments = [
        "Passionnée de dessin, a préparé un carnet de croquis.",
        "Curieux, stage en imprimerie.",
        "Hésite encore entre deux domaines.",
    ]
    pupils = []
    for (first, last), comment in zip(
        [("Lina", "Benali"), ("Hugo", "Perret"), ("Sarah", "Nguyen")], comments, strict=True
    ):
        pupils.append(
            await register(portal, FORMATION, pupil={"first_name": first, "last_name": last}, origin_comment=comment)
        )
        if len(pupils) == 1:  # the episode's first mail tells one pupil waiting before the others come
            await mails(sink, lambda m: shortfall_mails(sink)(m) and told(m) == 1)
    first_episode = await mails(sink, lambda m: shortfall_mails(sink)(m) and told(m) == 3)
    day = (clock.at + timedelta(days=8)).replace(hour=10, minute=0, second=0, microsecond=0)
    await send(
        portal,
        "declare_interview_slots",
        slots_body(ELUARD, DOMAIN, (day.isoformat(), 2), place="Studio photo, bâtiment B"),
    )
    await send(
        portal,
        "declare_interview_slots",
        slots_body(ELUARD, DOMAIN, ((day + timedelta(hours=1)).isoformat(), 1), place="Studio photo, bâtiment B"),
    )
    interviews = [await portal.wait_for(booked(p["pupil"]["ine"], DOMAIN)) for p in pupils]
    await portal.wait_for(
        lambda e: (
            e["_routing_key"] == "scheduling.capacity_shortfall"
            and e["domain_code"] == DOMAIN
            and e["waiting_pupils"] == 0
        )
    )
    fourth = await register(portal, FORMATION, pupil={"first_name": "Noé", "last_name": "Marchal"})
    second_episode = await mails(sink, lambda m: shortfall_mails(sink)(m) and told(m) == 1, count=2)
    await send(
        portal, "declare_interview_slots", slots_body(NADAR, DOMAIN, ((day + timedelta(hours=4)).isoformat(), 1))
    )
    interviews.append(await portal.wait_for(booked(fourth["pupil"]["ine"], DOMAIN)))
    return {
        "pupils": [*pupils, fourth],
        "interviews": interviews,
        "day": day,
        "first_episode": first_episode,
        "second_episode": second_episode,
    }


async def test_r15_a_shortfall_is_mailed_to_the_domains_reception_schools_and_operators_once_per_episode(
    sink: MailSink, campaign: dict[str, Any]
) -> None:
    sent = [m for m in sink.received() if shortfall_mails(sink)(m)]
    counts = [told(m) for m in sent]

    first_episode, second_episode = counts[:-1], counts[-1:]
    assert first_episode[0] == 1 and first_episode[-1] == 3, counts  # told at once, then as it grew by half
    assert first_episode == sorted(set(first_episode)), counts  # never the same count twice
    assert second_episode == [1], counts  # after everyone was booked, a new episode is told again
    recipients = str(sent[0]["To"])
    for address in ("ce.0931238r@ac-creteil.fr", "ce.0940617k@ac-creteil.fr", OPERATORS_MAILBOX):
        assert address in recipients
    body = sent[0].get_body(("plain",)).get_content()
    assert "« Photographie »" in body
    assert re.search(r"le premier jour .* est le \w+ \d\d/\d\d/2013", body.replace("\n", " "), re.IGNORECASE)


async def test_r19_the_planning_sheet_goes_out_the_day_before_at_four_with_pdf_and_csv(
    clock: Clock, sink: MailSink, campaign: dict[str, Any]
) -> None:
    day: datetime = campaign["day"]
    eve = (day - timedelta(days=1)).replace(hour=15, minute=30)
    await clock.at_least(eve.isoformat())
    early = await mails(sink, sheet_of(ELUARD), timeout=4)

    await clock.at_least((eve + timedelta(minutes=31)).isoformat())
    [mail] = await mails(sink, sheet_of(ELUARD))

    assert early == []
    assert "ce.0931238r@ac-creteil.fr" in str(mail["To"])
    assert f"{day:%d/%m/%Y}" in str(mail["Subject"])
    rows = csv_rows(mail)
    names = [(row[5], row[1]) for row in rows[1:]]
    assert names == [("Benali", "10h00"), ("Perret", "10h00"), ("Nguyen", "11h00")]
    assert rows[1][0] == f"{day:%d/%m/%Y}" and rows[1][4] == "Studio photo, bâtiment B"
    assert rows[1][11] == "Passionnée de dessin, a préparé un carnet de croquis."
    assert rows[1][10] == "Favorable"
    pages = PdfReader(io.BytesIO(attachment(mail, "planning.pdf"))).pages
    pdf = " ".join(" ".join(page.extract_text().split()) for page in pages)
    assert "Lina BENALI" in pdf and "Sarah NGUYEN" in pdf
    assert "Hésite encore entre deux domaines." in pdf
    other = await mails(sink, sheet_of(NADAR))
    assert [row[5] for row in csv_rows(other[0])[1:]] == ["Marchal"]


async def test_r19_a_withdrawal_after_the_sheet_went_out_sends_an_updated_sheet(
    portal: PortalClient, sink: MailSink, campaign: dict[str, Any]
) -> None:
    await mails(sink, sheet_of(ELUARD))
    perret = campaign["pupils"][1]
    await send(
        portal,
        "withdraw_candidacy",
        {
            "command_id": str(uuid.uuid4()),
            "campaign": "2013",
            "actor_uai": perret["origin_uai"],
            "ine": perret["pupil"]["ine"],
            "formation_code": FORMATION,
        },
    )

    [updated] = await mails(sink, sheet_of(ELUARD, updated=True))

    assert [row[5] for row in csv_rows(updated)[1:]] == ["Benali", "Nguyen"]
    assert "remplace la précédente" in updated.get_body(("plain",)).get_content()
    assert len([m for m in sink.received() if sheet_of(ELUARD)(m)]) == 1  # the first one, once


def test_r19_operators_read_a_schools_day_as_it_stands_behind_their_token(
    stack: ServiceStack, campaign: dict[str, Any]
) -> None:
    url = f"http://127.0.0.1:{stack.port('notifications')}"
    settings = OpsSettings(service_urls={"notifications": url})

    sheet = fetch(settings, NADAR, campaign["day"].date())
    refused = httpx.get(
        f"{url}/read/planning",
        params={"uai": NADAR, "date": campaign["day"].date().isoformat()},
        headers={"Authorization": "Bearer wrong"},
    )

    assert [line["pupil"] for line in sheet["lines"]] == ["Noé MARCHAL"]
    assert sheet["csv"].startswith("\ufeffDate;")
    assert refused.status_code == 401
