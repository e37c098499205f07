"""The simulator's honest clock (R20b): before the clock passes an interview, its reminder is out and the stack idle."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from ops.simulation.catchup import CatchUp, reminded
from ops.simulation.mailbox import Mailbox
from ops.simulation.tally import Interview

T0 = datetime(2013, 3, 18, 17, tzinfo=UTC)


class Backlog:
    """The stack's answers, scripted: each poll takes the next (queued, mails pending); the last one stays."""

    def __init__(self, *answers: tuple[int | None, int | None]) -> None:
        self.answers = list(answers)
        self.polls = 0

    def _next(self) -> tuple[int | None, int | None]:
        self.polls += 1
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]

    async def queued(self) -> int | None:
        self.last = self._next()
        return self.last[0]

    async def mails_pending(self) -> int | None:
        return self.last[1]


def _interview(interview_id: str, hours: int) -> Interview:
    return Interview(interview_id, "0000000001A", "hotellerie", "0930122C", T0 + timedelta(hours=hours), 1)


def _mail(directory: Path, name: str, message_id: str, subject: str = "Rappel Passpro – entretien") -> None:
    message = EmailMessage()
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("Bonjour")
    directory.mkdir(exist_ok=True)
    (directory / f"{name}.eml").write_bytes(message.as_bytes())


def test_reminders_are_known_by_the_message_id_notifications_gives_them(tmp_path: Path) -> None:
    _mail(tmp_path, "1", "<reminder.7f0c-11@passpro.ac-creteil.fr>")
    _mail(tmp_path, "2", "<convocation.8a1d-22@passpro.ac-creteil.fr>", subject="Convocation Passpro – entretien")
    assert reminded(Mailbox(tmp_path)) == {"7f0c-11"}


async def test_the_clock_waits_until_queues_and_mails_are_done(tmp_path: Path) -> None:
    backlog = Backlog((12, 3), (0, 3), (0, 0))
    catch_up = CatchUp(backlog, Mailbox(tmp_path), limit=10)

    await catch_up.before(T0, T0 + timedelta(days=1), [])

    assert backlog.polls >= 4  # two busy polls, then two idle ones in a row
    assert catch_up.gave_up == 0


async def test_an_interview_passed_with_its_reminder_out_is_on_time_the_other_late(tmp_path: Path) -> None:
    _mail(tmp_path, "1", "<reminder.a@passpro.ac-creteil.fr>")
    catch_up = CatchUp(Backlog((0, 0)), Mailbox(tmp_path), limit=0.5)
    booked = [_interview("a", 20), _interview("b", 30), _interview("later", 60)]

    await catch_up.before(T0, T0 + timedelta(days=2), booked)

    assert (catch_up.on_time, catch_up.late) == ({"a"}, {"b"})
    assert catch_up.gave_up == 1
    assert "1 times" in catch_up.warnings()[0]


async def test_a_reminder_arriving_during_the_wait_counts_on_time(tmp_path: Path) -> None:
    asyncio.get_running_loop().call_later(0.5, _mail, tmp_path, "late", "<reminder.a@passpro.ac-creteil.fr>")
    catch_up = CatchUp(Backlog((0, 0)), Mailbox(tmp_path), limit=10)

    await catch_up.before(T0, T0 + timedelta(days=2), [_interview("a", 20)])

    assert (catch_up.on_time, catch_up.late, catch_up.gave_up) == ({"a"}, set(), 0)


async def test_without_a_mailbox_nothing_is_counted_and_an_unknown_backlog_does_not_hold_the_clock() -> None:
    catch_up = CatchUp(Backlog((None, None)), None, limit=10)

    await catch_up.before(T0, T0 + timedelta(days=2), [_interview("a", 20)])

    assert (catch_up.on_time, catch_up.late, catch_up.gave_up) == (set(), set(), 0)
