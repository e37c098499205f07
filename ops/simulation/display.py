"""The simulation in a terminal: a progress bar per phase of the campaign and the funnel, live, from the events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from rich.console import Console, Group
from rich.live import Live
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ops.simulation.tally import Tally

PHASES = (
    ("calendar", "campaign calendar"),
    ("registrations", "registrations answered"),
    ("slots", "slot declarations answered"),
    ("interviews", "interviews reported"),
    ("wishes", "wish confirmations answered"),
    ("bonuses", "bonuses delivered to Affelnet"),
    ("mails", "convocations and recap sheets mailed"),
)


@dataclass
class Planned:
    """What the runner has planned or sent so far, beside what the events tell."""

    days: int = 0
    day_index: int = 0
    today: date | None = None
    registrations: int = 0
    registrations_answered: int = 0
    declarations: int = 0
    declarations_answered: int = 0
    confirmations: int = 0
    confirmations_answered: int = 0
    step: str = "starting"


class Display:
    """Redrawn from the tally a few times a second while the run goes on; silent without a terminal."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            TextColumn("{task.description:<38}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=console,
        )
        self.tasks = {key: self.progress.add_task(label, total=None) for key, label in PHASES}
        self._funnel = Table()
        self.live = Live(
            console=console,
            refresh_per_second=4,
            transient=False,
            get_renderable=lambda: Group(self.progress, self._funnel),
        )

    def __enter__(self) -> Display:
        self.live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self.live.__exit__(None, None, None)
        if not self.console.is_terminal:
            # Without a terminal the display is printed once, at the end, and leaves the cursor on its last line.
            self.console.line()

    def refresh(self, tally: Tally, planned: Planned) -> None:
        interviews = len(tally.interviews_in("booked", "attended", "absent"))
        reported = len(tally.interviews_in("attended", "absent"))
        mails = tally.counts["notifications.convocation_sent"] + tally.counts["notifications.recap_sent"]
        mails_due = interviews + len(tally.interviews_in("attended"))
        day = planned.today.strftime("%a %d/%m/%Y") if planned.today else ""
        figures = {
            "calendar": (planned.day_index, planned.days, f"campaign calendar  {day}"),
            "registrations": (planned.registrations_answered, planned.registrations, None),
            "slots": (planned.declarations_answered, planned.declarations, None),
            "interviews": (reported, interviews, None),
            "wishes": (planned.confirmations_answered, planned.confirmations, None),
            "bonuses": (len(tally.bonuses), tally.bonuses_due(), None),
            "mails": (mails, mails_due, None),
        }
        for key, (done, total, label) in figures.items():
            self.progress.update(self.tasks[key], completed=done, total=total or None)
            if label:
                self.progress.update(self.tasks[key], description=label)
        self._funnel = funnel_table(tally, title=f"Funnel, as the portal sees it ({planned.step})")


def funnel_table(tally: Tally, title: str) -> Table:
    counts = tally.counts
    table = Table(title=title, title_justify="left")
    for column in (
        "candidacies",
        "rejected",
        "booked",
        "waiting",
        "held",
        "absent",
        "overdue",
        "finals",
        "wishes",
        "bonuses",
    ):
        table.add_column(column, justify="right")
    table.add_row(
        str(tally.candidacies),
        str(tally.rejected),
        str(counts["scheduling.interview_booked"]),
        str(sum(tally.pending().values())),
        str(len(tally.interviews_in("attended"))),
        str(len(tally.interviews_in("absent"))),
        str(len(tally.overdue)),
        str(len(tally.finals)),
        str(len(tally.confirmed)),
        str(len(tally.bonuses)),
    )
    return table
