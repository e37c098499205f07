"""Notifications' pure rules: which mail, under which key, to whom, when, dropped or not; a convocation's
calendar SEQUENCE and formations; when a reception school's planning sheet goes out or is re-issued, when a
capacity shortfall is told (R10, R15, R19-R22, R26).

No clock, no database: the callers pass ``now`` and what is recorded, and get a decision back.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Literal
from zoneinfo import ZoneInfo


class MailKind(StrEnum):
    """The mails the service sends, as recorded in ``mails.kind``."""

    CONVOCATION = "convocation"
    CANCELLATION = "cancellation"
    INTERVIEW_REMINDER = "interview_reminder"
    RECAP = "recap"
    OVERDUE_REMINDER = "overdue_reminder"
    PLANNING = "planning"
    SHORTFALL = "shortfall"


# --- which mail, under which key ---------------------------------------------------------------------------------

MESSAGE_ID_DOMAIN = "passpro.ac-creteil.fr"

InterviewId = uuid.UUID | str


def message_id(key: str) -> str:
    """A mail's Message-ID comes from its key, so every attempt at the same mail carries the same one."""
    return f"<{key.replace(':', '.')}@{MESSAGE_ID_DOMAIN}>"


def convocation_key(interview_id: InterviewId, revision: int = 0) -> str:
    """R19: one convocation per interview; each correction (revision 1, 2...) is a mail of its own."""
    return f"convocation:{interview_id}:{revision}" if revision else f"convocation:{interview_id}"


def cancellation_key(interview_id: InterviewId) -> str:
    """R10, R19: one cancellation per interview."""
    return f"cancellation:{interview_id}"


def reminder_key(interview_id: InterviewId) -> str:
    """R20b: one reminder per interview."""
    return f"reminder:{interview_id}"


def recap_key(interview_id: InterviewId) -> str:
    """R26: the recap sheet is issued again for each interview whose results arrive."""
    return f"recap:{interview_id}"


def overdue_key(reception_uai: str, event_id: InterviewId, pending_key: str | None) -> str:
    """R22: an overdue report joins its school's reminder still waiting to go, or starts a new one."""
    return pending_key or f"overdue:{reception_uai}:{event_id}"


def shortfall_key(domain_code: str, episode: int, waiting: int) -> str:
    """R15: one mail per episode and count told."""
    return f"shortfall:{domain_code}:{episode}:{waiting}"


def planning_key(reception_uai: str, day: date, version: int) -> str:
    """R19 for reception schools: one mail per version of a school's day."""
    return f"planning:{reception_uai}:{day.isoformat()}:{version}"


# --- to whom -----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Mailboxes:
    """The addresses a mail may go to, already resolved; a mail takes those its kind names."""

    origin: str | None = None
    """The pupil's origin school."""
    referent: str | None = None
    """The pupil's referent person (R11)."""
    reception: str | None = None
    """The reception school the mail is about."""
    domain_receptions: tuple[str, ...] = ()
    """Every reception school of the domain (a shortfall)."""
    operators: str | None = None
    """The SAIO operators' mailbox, when one is configured."""


def _needed(address: str | None, who: str, kind: MailKind) -> str:
    if address is None:
        raise ValueError(f"a {kind} mail needs the {who}'s mailbox")
    return address


def recipients(kind: MailKind, boxes: Mailboxes) -> tuple[str, ...]:
    """Who receives each mail.

    R19, R20b: a convocation, its correction, its cancellation and its reminder go to the origin school and the
    referent; R26: the recap sheet to the origin school; R22 and R19 for reception schools: the overdue reports
    reminder and the planning sheet to the reception school; R15: a shortfall to every reception school of the
    domain and to the operators when their mailbox is configured.
    """
    match kind:
        case MailKind.CONVOCATION | MailKind.CANCELLATION | MailKind.INTERVIEW_REMINDER:
            return _needed(boxes.origin, "origin school", kind), _needed(boxes.referent, "referent", kind)
        case MailKind.RECAP:
            return (_needed(boxes.origin, "origin school", kind),)
        case MailKind.OVERDUE_REMINDER | MailKind.PLANNING:
            return (_needed(boxes.reception, "reception school", kind),)
        case MailKind.SHORTFALL:
            return (*boxes.domain_receptions, *((boxes.operators,) if boxes.operators else ()))


# --- what a convocation says -------------------------------------------------------------------------------------


def is_correction(kind: MailKind, revision: int) -> bool:
    """R19, R20: a convocation of revision 1 or more replaces an earlier one (one motivation letter fewer)."""
    return kind is MailKind.CONVOCATION and revision > 0


def calendar_sequence(kind: MailKind, *, other_interviews: int, mail_revision: int, interview_revision: int) -> int:
    """R19: one calendar UID per interview: its booking, each correction, then its cancellation, in rising SEQUENCE.

    2 x the pupil's other interviews in the domain, plus the correction's revision; a cancellation comes one after
    the interview's last correction.
    """
    base = 2 * other_interviews
    if kind is MailKind.CANCELLATION:
        return base + interview_revision + 1
    return base + mail_revision


def listed_formations(kind: MailKind, booked: Sequence[str], candidacies: Mapping[str, bool]) -> tuple[str, ...] | None:
    """R20: the formations a mail about an interview lists, one motivation letter each.

    A cancellation shows the interview as it was booked. Any other lists the formations still applied for in the
    domain (``candidacies``: code -> withdrawn), those registered after the booking included; None when every one
    was withdrawn: then no convocation goes, the interview's cancellation is the mail.
    """
    if kind is MailKind.CANCELLATION:
        return tuple(booked)
    codes = [code for code in booked if not candidacies.get(code, False)]
    codes += [code for code, withdrawn in candidacies.items() if not withdrawn and code not in codes]
    return tuple(codes) or None


def cancellation_reason(recorded: str | None) -> str:
    """R10, R19: the cancellation says the reason scheduling gave; none recorded is worded generically."""
    return recorded or ""


def sent_event(kind: MailKind, revision: int) -> Literal["convocation_sent", "recap_sent"] | None:
    """R19, R26: a first convocation and a recap sheet are announced once sent; a correction is not a second
    convocation, and the other mails are announced to nobody."""
    if kind is MailKind.CONVOCATION and revision == 0:
        return "convocation_sent"
    if kind is MailKind.RECAP:
        return "recap_sent"
    return None


# --- when, dropped or not ----------------------------------------------------------------------------------------

RESULTS_SETTLE_SECONDS = 2.0
"""A report and its final opinions arrive as separate events: the recap waits this long to hold them all."""


def settle_seconds(kind: MailKind) -> float:
    """R22, R26: a recap sheet waits for the final opinions of its report, an overdue reminder for the school's
    other overdue reports, to go as one mail; every other mail goes at once."""
    return RESULTS_SETTLE_SECONDS if kind in (MailKind.RECAP, MailKind.OVERDUE_REMINDER) else 0.0


def recap_due(attended: bool) -> bool:
    """R21, R26: a recap sheet when a domain's results arrive; an absence has none to show."""
    return attended


def reminders_until(now: datetime, reminder_days: int) -> datetime:
    """R20b: interviews starting up to ``reminder_days`` from now get their reminder."""
    return now + timedelta(days=reminder_days)


@dataclass(frozen=True)
class BookedInterview:
    """A pupil's interview in a domain, as a withdrawal finds it, with the state of its first convocation mail."""

    interview_id: uuid.UUID
    starts_at: datetime
    cancelled: bool
    formation_codes: tuple[str, ...]
    convocation_state: str | None


def interview_to_correct(
    remaining_in_domain: int, formation_code: str, interviews: Sequence[BookedInterview], now: datetime
) -> uuid.UUID | None:
    """R19, R20: the interview whose convocation a withdrawal corrects, if any.

    With no formation left in the domain there is nothing to correct: the interview's cancellation is the mail.
    Otherwise the pupil's latest interview of the domain that is not cancelled, has not started and lists the
    withdrawn formation, once its convocation has left (sent, or being sent); a convocation still waiting simply
    lists the remaining formations when it goes.
    """
    if remaining_in_domain == 0:
        return None
    due = [
        i
        for i in interviews
        if not i.cancelled
        and i.starts_at > now
        and formation_code in i.formation_codes
        and i.convocation_state in ("sending", "sent")
    ]
    return max(due, key=lambda i: i.starts_at).interview_id if due else None


def dropped_at_send(kind: MailKind, interview_cancelled: bool, first_convocation_went_out: bool) -> bool:
    """R10, R19: when a mail about an interview is about to go, whether it must not go at all.

    A convocation, its correction or its reminder for an interview cancelled meanwhile is dropped (the
    cancellation handler drops the ones still waiting; this catches the one that was being sent then). A
    cancellation goes only when the family got the first convocation: otherwise they never heard of it.
    """
    if kind is MailKind.CANCELLATION:
        return not first_convocation_went_out
    return interview_cancelled and kind in (MailKind.CONVOCATION, MailKind.INTERVIEW_REMINDER)


def cancellation_mailed(dropped_revisions: Collection[int]) -> bool:
    """R10, R19: a cancelled interview gets its cancellation mail unless its first convocation was still waiting
    (dropped with any correction waiting): the family never heard of that interview."""
    return 0 not in dropped_revisions


PLANNING_HOUR = time(16, 0)
"""Planning sheets go out at this hour of the campaign's timezone, ``planning_notice_days`` before the day."""


def planning_due_at(day: date, notice_days: int, tz: ZoneInfo) -> datetime:
    """R14, R19: the planning sheet of an interview day is due ``notice_days`` before it, at 16:00 campaign time."""
    return datetime.combine(day - timedelta(days=notice_days), PLANNING_HOUR, tz)


def planning_days_due(now: datetime, notice_days: int, tz: ZoneInfo) -> tuple[date, ...]:
    """The interview days whose sheet is due at ``now`` and that are not over yet, earliest first.

    The day itself stays due until it ends: a sheet held back by an outage still goes out that morning.
    """
    today = now.astimezone(tz).date()
    days = (today + timedelta(days=k) for k in range(notice_days + 1))
    return tuple(day for day in days if planning_due_at(day, notice_days, tz) <= now)


def local_day(instant: datetime, tz: ZoneInfo) -> date:
    """R20c: the day of an instant in the campaign's timezone."""
    return instant.astimezone(tz).date()


@dataclass(frozen=True)
class PlanningFormation:
    """One formation of an interview, with the origin school's opinion and comment (the pupil's dossier, R8)."""

    code: str
    origin_opinion: str | None
    origin_comment: str | None


@dataclass(frozen=True)
class PlanningEntry:
    """One interview on a reception school's planning sheet."""

    interview_id: str
    starts_at: datetime
    ends_at: datetime
    domain_code: str
    place: str
    first_name: str
    last_name: str
    origin_uai: str
    formations: tuple[PlanningFormation, ...]


def planning_order(entries: Sequence[PlanningEntry]) -> tuple[PlanningEntry, ...]:
    """A sheet lists the day's interviews in time order, then by pupil's name (a group slot holds several)."""
    return tuple(
        sorted(entries, key=lambda e: (e.starts_at, e.last_name.casefold(), e.first_name.casefold(), e.interview_id))
    )


def planning_fingerprint(entries: Sequence[PlanningEntry]) -> str:
    """What a sheet shows, reduced to a digest: two sheets with the same digest say the same thing."""
    shown = [
        [
            e.interview_id,
            e.starts_at.isoformat(),
            e.ends_at.isoformat(),
            e.domain_code,
            e.place,
            e.first_name,
            e.last_name,
            e.origin_uai,
            [[f.code, f.origin_opinion, f.origin_comment] for f in e.formations],
        ]
        for e in planning_order(entries)
    ]
    return hashlib.sha256(json.dumps(shown, ensure_ascii=False).encode()).hexdigest()


@dataclass(frozen=True)
class SheetRecord:
    """What was last asked for one school's day: its digest, whether that mail is still waiting to go, and
    whether any sheet of that day has gone out (or is going out) already."""

    fingerprint: str
    pending: bool
    any_sent: bool


@dataclass(frozen=True)
class SheetDecision:
    send: bool
    """A new sheet is asked for."""
    updated: bool
    """It follows a sheet that went out: its subject says « mis à jour »."""
    drop_pending: bool
    """The sheet still waiting to go is out of date and is not sent."""


NOTHING = SheetDecision(send=False, updated=False, drop_pending=False)


def planning_decision(last: SheetRecord | None, fingerprint: str, has_entries: bool) -> SheetDecision:
    """R19 for reception schools: a day's sheet once, and an updated one whenever its list changed after it went out.

    A sheet that has not gone out yet is replaced rather than followed: the school gets only the current one.
    A day emptied after its sheet went out gets an updated sheet saying so; a day that never had a sheet sent
    and has nothing left gets none.
    """
    if last is None:
        return SheetDecision(send=True, updated=False, drop_pending=False) if has_entries else NOTHING
    if last.fingerprint == fingerprint:
        return NOTHING
    if not has_entries and not last.any_sent:
        return SheetDecision(send=False, updated=False, drop_pending=last.pending)
    return SheetDecision(send=True, updated=last.any_sent, drop_pending=last.pending)


def shortfall_mail_due(last_told: int | None, waiting: int) -> bool:
    """R15: the shortfall is told once per episode, and again when it has grown by half or more since."""
    if waiting <= 0:
        return False
    return last_told is None or 2 * waiting >= 3 * last_told


def shortfall_count_stale(counted_at: datetime | None, published_at: datetime) -> bool:
    """R15: a count published no later than the one applied last is ignored: it waited to be tried again while
    newer counts were handled, and the newer one already says how many wait now (applied, a late "1 waiting"
    after "0" would open an episode that does not exist and mail it)."""
    return counted_at is not None and published_at <= counted_at


def shortfall_episode_over(waiting: int) -> bool:
    """R15: an episode ends when nobody waits any more; the next shortfall is a new one."""
    return waiting <= 0


# --- events in any order, and the same mail twice -------------------------------------------------------------------


def booking_mailed(*, cancelled_first: bool, reported_first: bool) -> bool:
    """R10, R19, R20b: a booking whose cancellation or report arrived first (events waiting to be tried again are
    overtaken) asks for no convocation and no reminder: the interview is cancelled, or it has taken place."""
    return not (cancelled_first or reported_first)


def content_subject(kind: MailKind, ine: str | None, domain_code: str | None) -> str | None:
    """R15, R26: whose mails are compared by content: a pupil's recap sheets, a domain's shortfall mails."""
    if kind is MailKind.RECAP:
        return f"recap:{ine}"
    if kind is MailKind.SHORTFALL:
        return f"shortfall:{domain_code}"
    return None


def content_digest(recipients: Sequence[str], content: object) -> str:
    """What a mail says and to whom, reduced to a digest (``content``: the frozen model its subject, text and
    attachment are made from; never its Message-ID or date)."""
    return hashlib.sha256(repr((sorted(recipients), content)).encode()).hexdigest()


def same_as_last(last: tuple[str, str] | None, digest: str, key: str) -> bool:
    """R15, R26: a mail identical to the last one that went to the same recipients about the same pupil (or
    domain) is a duplicate to its reader: it is dropped. ``last`` is (digest, key) of that mail; the same
    mail tried again is not its own duplicate."""
    return last is not None and last[0] == digest and last[1] != key
