"""Reading the mails the real SMTP server received, and notifications' own record of them, for the e2e tests."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from email.message import EmailMessage
from typing import Any

import asyncpg
import icalendar
from pypdf import PdfReader

from harness.mail_sink import MailSink
from tests.conftest import TEST_DATABASE_URL


async def mails(
    sink: MailSink, predicate: Callable[[EmailMessage], bool], count: int = 1, timeout: float = 180
) -> list[EmailMessage]:
    """The mails matching ``predicate``, waiting up to ``timeout`` s for ``count`` of them: after an SMTP outage,
    the sender's back-off (doubling from 2 s) may put the next attempt a minute or more after the server is back."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        found = [m for m in sink.received() if predicate(m)]
        if len(found) >= count or asyncio.get_running_loop().time() > deadline:
            return found
        await asyncio.sleep(0.2)


async def mail_rows(
    keys: list[str], until: Callable[[list[asyncpg.Record]], bool], timeout: float = 180
) -> list[asyncpg.Record]:
    """notifications' own records of these mails, once ``until`` holds: the positive signal a check that no
    (further) copy went out waits for, instead of a pause. A mail recorded sent is never sent again."""
    conn = await asyncpg.connect(TEST_DATABASE_URL)
    try:
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            rows = await conn.fetch("SELECT key, state, attempts FROM notifications.mails WHERE key = ANY($1)", keys)
            if until(rows):
                return rows
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError(f"mails {keys}: {[(r['key'], r['state'], r['attempts']) for r in rows]}")
            await asyncio.sleep(0.2)
    finally:
        await conn.close()


def all_sent(count: int) -> Callable[[list[asyncpg.Record]], bool]:
    return lambda rows: len(rows) == count and all(r["state"] == "sent" for r in rows)


def text(message: EmailMessage) -> str:
    """The plain-text body, whitespace folded."""
    part = message.get_body(("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def about(pupil: dict[str, Any], prefix: str) -> Callable[[EmailMessage], bool]:
    """A mail whose subject starts with ``prefix`` about this registered pupil."""
    return lambda m: str(m["Subject"]).startswith(prefix) and pupil["pupil"]["last_name"] in text(m)


def attachment(message: EmailMessage, name: str) -> bytes:
    for part in message.iter_attachments():
        if part.get_filename() == name:
            content = part.get_content()
            return content if isinstance(content, bytes) else content.encode()
    raise AssertionError(f"no attachment {name}")


def calendar_event(message: EmailMessage) -> tuple[icalendar.Calendar, icalendar.Event]:
    calendar = icalendar.Calendar.from_ical(attachment(message, "convocation.ics"))
    [event] = calendar.walk("VEVENT")
    return calendar, event


def pdf(message: EmailMessage, name: str) -> str:
    pages = PdfReader(io.BytesIO(attachment(message, name))).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())
