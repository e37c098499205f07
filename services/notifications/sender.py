"""Sends requested mails: leased in one transaction, composed and handed to SMTP, recorded as sent in another.

Each mail has a stable key and Message-ID; a redelivered event finds its mail already requested, and
a mail recorded as sent is never sent again. SMTP unavailable or answering 4xx: the mail waits and is
retried with back-off; a 5xx to the whole mail refuses it for good (operators see it and replay it); a
mail some recipients refused is sent, with who (by role) never got it. Every lease carries a token and
every result is recorded under it: a sender whose lease ran out and was taken over records nothing
(``lease_lost``). The one window left (a crash after SMTP accepted, before the record) resends the same
Message-ID, which mail systems recognise.
"""

from __future__ import annotations

import asyncio
import email.policy
import functools
import io
import json
import random
import time
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import format_datetime, parseaddr
from typing import Any

import aiosmtplib
import structlog

from contracts.campaign import Campaign
from contracts.events import ConvocationSent, RecapSent
from services.notifications import answers, documents, domain, planning
from services.notifications.answers import Verdict
from services.notifications.domain import Mailboxes, MailKind
from services.notifications.mailboxes import school_mailbox
from services.notifications.repository import (
    CandidacyRecap,
    LeasedMail,
    NotificationsRepository,
    RoundRepository,
    SentMail,
)
from services.runtime import crash
from services.runtime.database import runtime_queries
from services.runtime.metrics import LEASE_LOST
from services.runtime.outbox import outbox_row, write_outbox
from services.runtime.retry import retry_delay
from services.runtime.service import WorkerContext
from services.runtime.settings import ServiceSettings
from services.runtime.transient import until_recorded

log = structlog.get_logger()
LEASE_SECONDS = 120
BATCH = 32
"""Mails leased at once: read from the database, built in a worker thread, sent over one SMTP connection."""
RECORD_AFTER = 0.2
"""Seconds a mail SMTP accepted may wait to be recorded with the next ones: the width of the window a crash
leaves (the mail sent again) beyond the record's own commit."""
RETRY_BASE = timedelta(seconds=2)
RETRY_CAP = timedelta(minutes=15)


class Dropped(Exception):
    """The mail must not go at all (domain.dropped_at_send, domain.same_as_last): it is recorded as dropped, with
    the reason given."""


class NotReady(Exception):
    """What the mail needs has not arrived yet (events come on their own): try again shortly."""


class AddressNotAscii(aiosmtplib.SMTPNotSupported):
    """The mail names an address that is not ASCII and the server does not take SMTPUTF8 (RFC 6531): this server
    will never take this mail as written, while it takes the others on the same connection."""

    def __init__(self, addresses: list[str]) -> None:
        super().__init__("an address is not ASCII and the server does not take SMTPUTF8")
        self.addresses = addresses


class Mailer:
    """One SMTP connection kept open from batch to batch; opened again when the server closed it or failed."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.settings = settings
        self._smtp: aiosmtplib.SMTP | None = None

    async def connection(self) -> aiosmtplib.SMTP:
        if self._smtp is None or not self._smtp.is_connected:
            await self.close()
            smtp = aiosmtplib.SMTP(
                hostname=self.settings.smtp_host,
                port=self.settings.smtp_port,
                timeout=20,
                **self.settings.smtp_options(),
            )
            await smtp.connect()
            self._smtp = smtp
        return self._smtp

    async def send(self, wire: Wire, sent_at: datetime) -> dict[str, tuple[int, str]]:
        """Hands one mail over, dated ``sent_at``; a connection the server dropped while idle is opened again once,
        at once.

        Returns the recipients the server refused while it took the mail for the others, with its answers.
        """
        data = b"Date: " + format_datetime(sent_at).encode("ascii") + b"\r\n" + wire.data
        smtp = await self.connection()
        try:
            refused, _ = await self._sendmail(smtp, wire, data)
        except aiosmtplib.SMTPServerDisconnected:
            await self.close()
            refused, _ = await self._sendmail(await self.connection(), wire, data)
        return {address: (answer.code, answer.message) for address, answer in refused.items()}

    @staticmethod
    async def _sendmail(
        smtp: aiosmtplib.SMTP, wire: Wire, data: bytes
    ) -> tuple[dict[str, aiosmtplib.SMTPResponse], str]:
        options = []
        if wire.utf8:  # an address that is not ASCII: the server must say it takes them
            if smtp.last_ehlo_response is None:
                await smtp.ehlo()
            if not smtp.supports_extension("smtputf8"):
                raise AddressNotAscii([a for a in (wire.sender, *wire.recipients) if not a.isascii()])
            options.append("SMTPUTF8")
        return await smtp.sendmail(wire.sender, list(wire.recipients), data, mail_options=options)

    async def close(self) -> None:
        smtp, self._smtp = self._smtp, None
        if smtp is not None and smtp.is_connected:
            try:
                await smtp.quit()
            except (aiosmtplib.SMTPException, OSError, TimeoutError):
                smtp.close()


async def send_mails(ctx: WorkerContext) -> None:
    settings = ServiceSettings()
    mailer = Mailer(settings)
    try:
        while ctx.running:
            try:
                sent = await send_due(ctx, settings, mailer)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("mail_round_failed")
                await mailer.close()
                sent = 0
            if sent == 0:
                await ctx.idle(0.5)
    finally:
        await mailer.close()


async def send_due(ctx: WorkerContext, settings: ServiceSettings, mailer: Mailer) -> int:
    async with ctx.pool.acquire() as conn, conn.transaction():
        rows = await NotificationsRepository(conn, ctx.campaign.campaign).claim_due(BATCH, LEASE_SECONDS)
    if not rows:
        return 0
    builds: list[tuple[LeasedMail, Prepared]] = []
    async with ctx.pool.acquire() as conn:
        repo = RoundRepository(conn, ctx.campaign.campaign)
        await repo.read_round(rows)
        for row in rows:
            try:
                builds.append((row, await prepare(repo, ctx.campaign, settings, row)))
            except NotReady as waiting:
                await _retry(ctx, row, f"waiting: {waiting}", 1.0, counted=False)
            except Dropped as why:
                async with ctx.pool.acquire() as drop_conn:
                    dropped = await NotificationsRepository(drop_conn, ctx.campaign.campaign).drop_leased(
                        row.key, row.lease_token, str(why)
                    )
                if dropped:
                    log.info("mail_dropped", mail_key=row.key, kind=row.kind, reason=str(why))
                else:
                    _lease_lost(row, "dropped")
    # PDFs and calendars are pure CPU: built off the event loop, which keeps consuming and answering meanwhile.
    sender = settings.mail_from
    built = await asyncio.to_thread(
        lambda: [(row, _built(prepared, sender), prepared.roles) for row, prepared in builds]
    )
    for row, failure, _ in built:
        if isinstance(failure, Exception):
            log.error("mail_not_built", mail_key=row.key, kind=row.kind, error=type(failure).__name__)
            await _retry(ctx, row, type(failure).__name__, RETRY_CAP.total_seconds())
    await _send(ctx, mailer, [(row, wire, roles) for row, wire, roles in built if isinstance(wire, Wire)])
    ctx.wake_relay()
    return len(rows)


def _built(prepared: Prepared, sender: str) -> Wire | Exception:
    """One mail that cannot be built (a defect) must not hold back the others of its batch."""
    try:
        return on_the_wire(prepared.build(), sender, prepared.recipients)
    except Exception as error:  # reported and retried by the caller
        return error


async def _send(ctx: WorkerContext, mailer: Mailer, messages: list[tuple[LeasedMail, Wire, dict[str, str]]]) -> None:
    """Hands the mails to SMTP over the kept connection and records those accepted as sent, a few at a time.

    A crash before a record commits sends the mails it held again, with the same Message-IDs, which mail systems
    recognise. The record waits for more mails (one transaction for several) only while that window stays short:
    it is made once the oldest mail not yet recorded was accepted ``RECORD_AFTER`` seconds ago, or at once after a
    mail SMTP was slow to take (a slow link would otherwise hold a whole round's mails unrecorded for minutes).
    """
    pending: list[tuple[LeasedMail, Wire, dict[str, str]]] = list(messages)
    accepted: list[tuple[LeasedMail, SentMail]] = []
    oldest = 0.0
    try:
        while pending:
            row, wire, roles = pending[0]
            started = time.monotonic()
            try:
                refused = await mailer.send(wire, datetime.now(UTC))  # the real sending time, not the campaign's
            except aiosmtplib.SMTPRecipientsRefused as everyone:
                pending.pop(0)  # this mail only: the connection goes on with the next one
                codes = [recipient.code for recipient in everyone.recipients]
                first = everyone.recipients[0] if everyone.recipients else None
                why = (
                    answers.partial_refusal(roles, {r.recipient: (r.code, r.message) for r in everyone.recipients})
                    if first is not None
                    else "no recipient"
                )
                await _failed(ctx, row, answers.all_recipients_refused_verdict(codes), why, type(everyone).__name__)
                continue
            except (aiosmtplib.SMTPSenderRefused, aiosmtplib.SMTPDataError) as whole:
                pending.pop(0)
                await _failed(
                    ctx,
                    row,
                    answers.whole_mail_verdict(whole.code),
                    answers.refusal_reason(whole.code, whole.message),
                    type(whole).__name__,
                )
                continue
            except AddressNotAscii as unwritable:
                pending.pop(0)  # refused for good: an operator corrects the address and replays it
                await _failed(
                    ctx, row, Verdict.REFUSED, answers.not_ascii_reason(roles, unwritable.addresses), "AddressNotAscii"
                )
                continue
            except aiosmtplib.SMTPResponseException as other:  # e.g. 421 on a command: tried again
                pending.pop(0)
                await _not_sent(ctx, row, type(other).__name__)
                continue
            pending.pop(0)
            now = time.monotonic()
            oldest = oldest if accepted else now
            accepted.append((row, _accepted(row, wire, roles, refused)))
            crash.point("notifications.after_250")
            if now - oldest >= RECORD_AFTER or now - started >= RECORD_AFTER:
                recording, accepted = accepted, []
                await _sent(ctx, recording)
    except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
        await mailer.close()
        for row, _, _ in pending:  # the connection is gone: what it did not take waits for the next attempt
            await _not_sent(ctx, row, type(error).__name__)
    finally:
        if accepted:
            await _sent(ctx, accepted)


def _accepted(row: LeasedMail, wire: Wire, roles: dict[str, str], refused: dict[str, tuple[int, str]]) -> SentMail:
    """What to record of a mail SMTP took: who got it, and who (by role, with the server's why) did not."""
    gone = {address.lower() for address in refused}
    return SentMail(
        row.key,
        row.lease_token,
        tuple(a for a in wire.recipients if a.lower() not in gone),
        answers.refused_roles(roles, refused),
        answers.partial_refusal(roles, refused) if refused else None,
    )


async def _sent(ctx: WorkerContext, accepted: list[tuple[LeasedMail, SentMail]]) -> None:
    """R19, R26: the mails SMTP accepted, recorded as sent with their announcements, in one transaction; a mail
    whose lease was taken over meanwhile is left to the sender that holds it now.

    SMTP took them: while the database is away the sender holds on (sending nothing else) until the record
    is made, or the lease would run out and the mails go a second time.
    """
    recorded = await until_recorded("mail", lambda: _record_sent(ctx, accepted))
    for row, sent in accepted:
        if sent.key not in recorded:
            _lease_lost(row, "sent")
        elif sent.refused_roles:
            log.warning("mail_partly_refused", mail_key=row.key, kind=row.kind, refused=sent.refused_roles)
        else:
            log.debug("mail_sent", mail_key=row.key, kind=row.kind)


async def _record_sent(ctx: WorkerContext, accepted: list[tuple[LeasedMail, SentMail]]) -> set[str]:
    async with ctx.pool.acquire() as conn, conn.transaction():
        repo = NotificationsRepository(conn, ctx.campaign.campaign)
        now = await runtime_queries.current_instant(conn)
        recorded = await repo.mark_sent([sent for _, sent in accepted])
        outbox = []
        for row, sent in accepted:
            event = _sent_event(now, ctx.campaign, row, list(sent.recipients)) if sent.key in recorded else None
            if event is not None:
                outbox.append(outbox_row(event, ctx.service, row.key))
        await write_outbox(conn, outbox)
    return recorded


async def _failed(ctx: WorkerContext, row: LeasedMail, verdict: Verdict, reason: str, error: str) -> None:
    """R19: refused for good (parked for operators, never tried again by itself), or tried again later."""
    if verdict is Verdict.RETRY:
        await _not_sent(ctx, row, f"{error}: {reason}")
        return
    async with ctx.pool.acquire() as conn, conn.transaction():
        refused = await NotificationsRepository(conn, ctx.campaign.campaign).refuse(row.key, row.lease_token, reason)
    if refused:
        log.warning("mail_refused", mail_key=row.key, kind=row.kind, reason=reason)
    else:
        _lease_lost(row, "refused")


async def _not_sent(ctx: WorkerContext, row: LeasedMail, error: str) -> None:
    delay = retry_delay(row.attempts, random.random(), base=RETRY_BASE, cap=RETRY_CAP)
    log.warning(
        "mail_not_sent", mail_key=row.key, kind=row.kind, error=error, retry_in_s=round(delay.total_seconds(), 1)
    )
    await _retry(ctx, row, error, delay.total_seconds())


async def _retry(ctx: WorkerContext, row: LeasedMail, error: str, delay: float, *, counted: bool = True) -> None:
    """Back to pending; waiting for data does not count as a failed attempt (it would lengthen the back-off)."""
    async with ctx.pool.acquire() as conn, conn.transaction():
        retried = await NotificationsRepository(conn, ctx.campaign.campaign).schedule_retry(
            row.key, row.lease_token, error, delay, counted=counted
        )
    if not retried:
        _lease_lost(row, "retried")


def _lease_lost(row: LeasedMail, result: str) -> None:
    """A result this sender no longer holds the lease for: the sender that took it over records its own."""
    LEASE_LOST.labels(work="mail", result=result).inc()
    log.warning("lease_lost", mail_key=row.key, kind=row.kind, result=result)


def _sent_event(
    now: datetime, campaign: Campaign, row: LeasedMail, recipients: list[str]
) -> ConvocationSent | RecapSent | None:
    common = {"event_id": uuid.uuid4(), "occurred_at": now, "campaign": campaign.campaign, "causation_id": None}
    announced = domain.sent_event(MailKind(row.kind), row.revision)
    if announced == "convocation_sent":
        return ConvocationSent(**common, ine=row.ine, interview_id=row.interview_id, recipients=recipients)
    if announced == "recap_sent":
        return RecapSent(**common, ine=row.ine, domain_code=row.domain_code, recipients=recipients)
    return None


def _mailbox(uai: str, settings: ServiceSettings, campaign: Campaign, pupil_origin_mailbox: str | None = None) -> str:
    """The school's mailbox, as ``mailboxes.school_mailbox`` resolves it for every mail."""
    return school_mailbox(
        uai, campaign=campaign, mail_domain=settings.mail_domain, pupil_origin_mailbox=pupil_origin_mailbox
    )


def _school(campaign: Campaign, uai: str) -> documents.School:
    school = campaign.school(uai)
    return documents.School(uai, school.name if school else uai, (school.address or "") if school else "")


Build = Callable[[], EmailMessage]
"""Builds a mail from facts already read: pure CPU, safe to run in a worker thread."""


@dataclass(frozen=True)
class Prepared:
    build: Build
    roles: dict[str, str]
    """Who each address of the mail is (``answers.roles``): a refused recipient is told by role, never by address."""
    recipients: tuple[str, ...]
    """The addresses the mail is written to (its To), which are also its envelope's recipients."""


def _prepared(
    make: Callable[..., EmailMessage], *args: object, recipients: tuple[str, ...], roles: dict[str, str], **kw: Any
) -> Prepared:
    return Prepared(functools.partial(make, *args, recipients=recipients, **kw), roles, tuple(recipients))


@dataclass(frozen=True)
class Wire:
    """A mail as it goes to SMTP: its envelope and its bytes, flattened off the event loop, without the Date header
    (added when it goes: the real sending time)."""

    sender: str
    recipients: tuple[str, ...]
    data: bytes
    utf8: bool


def on_the_wire(message: EmailMessage, sender: str, recipients: tuple[str, ...]) -> Wire:
    """What aiosmtplib's ``send_message`` made of the message, made once here: the envelope from the addresses the
    mail was written to (not by parsing its headers back, which cost more than the PDF), and the message flattened
    with CRLF line ends. Every part is already 7-bit (quoted-printable, base64, encoded words)."""
    envelope_from = parseaddr(sender)[1] or sender.strip()
    envelope_to = tuple(parseaddr(address)[1] or address.strip() for address in recipients if address.strip())
    utf8 = not (envelope_from + "".join(envelope_to)).isascii()
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=email.policy.SMTPUTF8 if utf8 else email.policy.SMTP).flatten(message)
    return Wire(envelope_from, envelope_to, buffer.getvalue(), utf8)


async def prepare(
    repo: NotificationsRepository, campaign: Campaign, settings: ServiceSettings, row: LeasedMail
) -> Prepared:
    """Reads what the mail of ``row`` needs, as notifications knows it now; returns how to build it."""
    kind, message_id = MailKind(row.kind), domain.message_id(row.key)
    tz = campaign.tz
    if kind is MailKind.SHORTFALL:
        shortfall, boxes = _shortfall(campaign, settings, row)
        recipients = domain.recipients(kind, boxes)
        await _first_with_this_content(repo, row, recipients, shortfall)
        return _prepared(
            documents.shortfall_mail,
            shortfall,
            sender=settings.mail_from,
            recipients=recipients,
            message_id=message_id,
            roles=answers.roles(boxes),
        )
    if kind is MailKind.PLANNING:
        return _planning_mail(campaign, settings, row, message_id)
    if kind is MailKind.OVERDUE_REMINDER:
        items = await repo.overdue_for_mail(row.key)
        overdue = []
        for item in items:
            pupil = await repo.get_pupil(item.ine)
            overdue.append(
                documents.OverdueInterview(
                    str(item.interview_id),
                    documents.Pupil(item.ine, pupil.first_name if pupil else "", pupil.last_name if pupil else ""),
                    _domain_label(campaign, item.domain_code),
                    item.starts_at,
                    item.due_on,
                )
            )
        if not overdue:
            raise NotReady("overdue interviews")
        boxes = Mailboxes(reception=_mailbox(row.reception_uai, settings, campaign))
        return _prepared(
            documents.overdue_reminder_mail,
            _school(campaign, row.reception_uai),
            overdue,
            tz=tz,
            sender=settings.mail_from,
            recipients=domain.recipients(kind, boxes),
            message_id=message_id,
            roles=answers.roles(boxes),
        )
    pupil_row = await repo.get_pupil(row.ine)
    if pupil_row is None:
        raise NotReady("pupil")
    pupil = documents.Pupil(row.ine, pupil_row.first_name, pupil_row.last_name)
    boxes = Mailboxes(
        origin=_mailbox(pupil_row.origin_uai, settings, campaign, pupil_row.origin_mailbox),
        referent=pupil_row.referent_email,
    )
    origin = _school(campaign, pupil_row.origin_uai)
    if kind is MailKind.RECAP:
        recap, recipients = await _recap(repo, campaign, pupil, origin), domain.recipients(kind, boxes)
        await _first_with_this_content(repo, row, recipients, recap)
        return _prepared(
            documents.recap_mail,
            recap,
            tz=tz,
            sender=settings.mail_from,
            recipients=recipients,
            message_id=message_id,
            roles=answers.roles(boxes),
        )
    interview = await repo.get_interview(row.interview_id)
    if interview is None:
        raise NotReady("interview")
    went_out = kind is MailKind.CANCELLATION and await repo.mail_went_out(
        domain.convocation_key(interview.interview_id)
    )
    if domain.dropped_at_send(kind, interview.cancelled, went_out):
        raise Dropped("interview_cancelled" if kind is not MailKind.CANCELLATION else "convocation_never_sent")
    candidacies = {} if kind is MailKind.CANCELLATION else await repo.domain_candidacies(row.ine, interview.domain_code)
    codes = domain.listed_formations(kind, interview.formation_codes, candidacies)
    if codes is None:
        raise NotReady("the interview's cancellation")  # every formation withdrawn: scheduling cancels it
    others = await repo.interview_sequence(row.ine, interview.domain_code, interview.interview_id)
    convocation = documents.Convocation(
        interview_id=str(interview.interview_id),
        pupil=pupil,
        domain_label=_domain_label(campaign, interview.domain_code),
        starts_at=interview.starts_at,
        ends_at=interview.ends_at,
        place=interview.place,
        reception=_school(campaign, interview.reception_uai),
        formation_labels=tuple(_formation_label(campaign, c) for c in codes),
        origin=origin,
        referent=documents.Referent(pupil_row.referent_name, pupil_row.referent_email),
        organizer=_mailbox(interview.reception_uai, settings, campaign),
        stamped_at=row.stamped_at or interview.starts_at,  # only reminders have none: they carry no ICS
        interviews_end_on=campaign.calendar.interviews_end_on,
        sequence=domain.calendar_sequence(
            kind, other_interviews=others, mail_revision=row.revision, interview_revision=interview.revision
        ),
        corrected=domain.is_correction(kind, row.revision),
    )
    common = {
        "tz": tz,
        "sender": settings.mail_from,
        "recipients": domain.recipients(kind, boxes),
        "message_id": message_id,
    }
    if kind is MailKind.CONVOCATION:
        return _prepared(documents.convocation_mail, convocation, **common, roles=answers.roles(boxes))
    if kind is MailKind.CANCELLATION:
        return _prepared(
            documents.cancellation_mail,
            convocation,
            domain.cancellation_reason(interview.cancel_reason),
            **common,
            roles=answers.roles(boxes),
        )
    return _prepared(documents.interview_reminder_mail, convocation, **common, roles=answers.roles(boxes))


async def _first_with_this_content(
    repo: NotificationsRepository, row: LeasedMail, recipients: tuple[str, ...], content: object
) -> None:
    """R15, R26: a recap sheet (or shortfall mail) saying exactly what the last one let go about the same pupil
    (or domain) said, to the same recipients, is not sent: to the family it would be the same mail twice. Recap
    sheets asked for each domain's results say the same once every domain has reported."""
    subject = domain.content_subject(MailKind(row.kind), row.ine, row.domain_code)
    if subject is None:
        return
    digest = domain.content_digest(recipients, content)
    async with repo.conn.transaction():
        if domain.same_as_last(await repo.last_sent_content(subject), digest, row.key):
            raise Dropped("same_content_as_the_last_one_sent")
        await repo.record_sent_content(subject, digest, row.key)


def _planning_mail(campaign: Campaign, settings: ServiceSettings, row: LeasedMail, message_id: str) -> Prepared:
    """R19: a reception school's planning sheet, as frozen when it was asked for."""
    facts = json.loads(row.facts)
    day = date.fromisoformat(facts["day"])
    entries = [planning.entry_from_facts(e) for e in facts["entries"]]
    sheet = planning.sheet(campaign, row.reception_uai, day, entries, updated=facts["updated"])
    reception = Mailboxes(reception=_mailbox(row.reception_uai, settings, campaign))
    return _prepared(
        documents.planning_mail,
        sheet,
        tz=campaign.tz,
        sender=settings.mail_from,
        recipients=domain.recipients(MailKind.PLANNING, reception),
        message_id=message_id,
        roles=answers.roles(reception),
    )


def _shortfall(campaign: Campaign, settings: ServiceSettings, row: LeasedMail) -> tuple[documents.Shortfall, Mailboxes]:
    """R15: what a shortfall mail says, from the figures frozen when it was asked for, and to whom."""
    facts = json.loads(row.facts)
    found = campaign.domain(row.domain_code)
    schools = tuple(planning.school_name(campaign, uai) for uai in (found.reception_uais if found else ()))
    first_day = facts["first_possible_on"]
    shortfall = documents.Shortfall(
        _domain_label(campaign, row.domain_code),
        facts["waiting"],
        date.fromisoformat(first_day) if first_day else None,
        campaign.calendar.interviews_end_on,
        schools,
    )
    boxes = Mailboxes(
        domain_receptions=tuple(_mailbox(school.uai, settings, campaign) for school in schools),
        operators=settings.operators_mailbox,
    )
    return shortfall, boxes


def _domain_label(campaign: Campaign, code: str) -> str:
    found = campaign.domain(code)
    return found.label if found else code


def _formation_label(campaign: Campaign, code: str) -> str:
    formation = campaign.formation(code)
    return formation.label if formation else code


async def _recap(
    repo: NotificationsRepository, campaign: Campaign, pupil: documents.Pupil, origin: documents.School
) -> documents.Recap:
    """R26-R28: every formation of the pupil (withdrawn ones marked), per domain its interview and report, and
    the campaign's Affelnet dates."""
    by_domain: dict[str, list[CandidacyRecap]] = defaultdict(list)
    for line in await repo.recap_lines(pupil.ine):
        by_domain[line.domain_code].append(line)
    if not by_domain:
        raise NotReady("candidacies")
    domains = tuple(
        documents.RecapDomain(
            domain_label=_domain_label(campaign, code),
            attended=lines[0].attended,
            report=lines[0].report,
            lines=tuple(
                documents.RecapLine(
                    _formation_label(campaign, line.formation_code),
                    line.origin_opinion,
                    line.reception_opinion,
                    line.final_opinion,
                    withdrawn=line.withdrawn,
                )
                for line in lines
            ),
            reception=_school(campaign, lines[0].reception_uai) if lines[0].reception_uai else None,
            interview_at=lines[0].starts_at,
        )
        for code, lines in sorted(by_domain.items())
    )
    calendar = campaign.calendar
    dates = documents.AffelnetDates(
        calendar.affelnet_entry_starts_on, calendar.commission_wish_deadline, calendar.affelnet_wish_deadline
    )
    return documents.Recap(pupil, origin, domains, dates)
