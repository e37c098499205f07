"""``python -m bench.documents``: the mails' Python cost, without broker, database or SMTP.

Builds convocation mails as the sender hands them to SMTP (the PDF, the calendar entry, the MIME message
flattened to bytes) from a fixed set of varied convocations, and the same for recap sheets; prints how many
are built per second on one core, and what each part costs. The figures bound what the mail worker can
send per core: the rest of its time is the database and the SMTP exchange, measured by ``make bench``.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from services.notifications import documents
from services.notifications.documents.calendar import interview_ics

PARIS = ZoneInfo("Europe/Paris")
SENDER = "Passpro <passpro@ac-creteil.fr>"
FIRST = ("Inès", "Lucas", "Aïcha", "Jean-Baptiste", "Łukasz", "Chloé", "Mamadou", "Zoé")
LAST = ("Lefèvre", "Martin", "N'Diaye", "Nowak", "Da Silva Pereira", "Benali", "Traoré", "Dupont-Moreau")
FORMATIONS = (
    "CAP Cuisine",
    "Bac pro Commercialisation et services en restauration",
    "CAP Production et service en restaurations (rapide, collective, cafétéria)",
    "Bac pro Métiers de l'accueil",
)
RECEPTION = documents.School("0940115P", "Lycée professionnel François Rabelais", "12 rue de l'Égalité\n94000 Créteil")
ORIGIN = documents.School("0931500A", "Collège Jean Jaurès", "")


def convocations(count: int) -> list[documents.Convocation]:
    """Varied convocations: names, one to four formations, before and after the change to summer time."""
    start = datetime(2013, 2, 18, 8, 0, tzinfo=UTC)
    return [
        documents.Convocation(
            interview_id=f"7f1c2d3e-0000-4000-8000-{n:012d}",
            pupil=documents.Pupil(f"{n:09d}AB", FIRST[n % len(FIRST)], LAST[n % len(LAST)]),
            domain_label="Hôtellerie-restauration",
            starts_at=start + timedelta(days=n % 50, minutes=30 * (n % 12)),
            ends_at=start + timedelta(days=n % 50, minutes=30 * (n % 12) + 30),
            place=f"Salle B{n % 40}",
            reception=RECEPTION,
            formation_labels=FORMATIONS[: 1 + n % len(FORMATIONS)],
            origin=ORIGIN,
            referent=documents.Referent(f"Mme Durand {n}", f"referent{n}@ac-creteil.fr"),
            organizer="ce.0940115p@ac-creteil.fr",
            stamped_at=datetime(2013, 2, 12, 10, 15, tzinfo=UTC),
            interviews_end_on=date(2013, 4, 17),
            sequence=n % 3,
            corrected=n % 7 == 0,
        )
        for n in range(count)
    ]


def recaps(count: int) -> list[documents.Recap]:
    dates = documents.AffelnetDates(date(2013, 5, 13), date(2013, 5, 17), date(2013, 5, 31))
    lines = tuple(documents.RecapLine(label, "favorable", "assez_favorable", "favorable") for label in FORMATIONS)
    domain = documents.RecapDomain(
        "Hôtellerie-restauration",
        True,
        "Élève motivée, connaît bien le métier.",
        lines,
        RECEPTION,
        datetime(2013, 2, 20, 8, tzinfo=UTC),
    )
    return [
        documents.Recap(c.pupil, ORIGIN, (replace(domain, lines=lines[: 1 + n % len(lines)]),), dates)
        for n, c in enumerate(convocations(count))
    ]


def rate(label: str, build: Callable[[object], object], inputs: list, seconds: float) -> float:
    """Builds in turn for about ``seconds`` after a warm-up round; prints and returns the builds per second."""
    for item in inputs:
        build(item)
    done, began = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - began) < seconds:
        for item in inputs:
            build(item)
        done += len(inputs)
    per_second = done / elapsed
    print(f"{label:<44} {per_second:9.0f}/s  {1000 / per_second:7.3f} ms each")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="time spent on each measure")
    args = parser.parse_args()
    inputs = convocations(64)

    def mail(c: documents.Convocation) -> bytes:
        return documents.convocation_mail(
            c,
            tz=PARIS,
            sender=SENDER,
            recipients=("ce.0931500a@ac-creteil.fr", c.referent.email),
            message_id=f"<convocation.{c.interview_id}@x>",
        ).as_bytes()

    def recap(r: documents.Recap) -> bytes:
        return documents.recap_mail(
            r, tz=PARIS, sender=SENDER, recipients=("ce.0931500a@ac-creteil.fr",), message_id=f"<recap.{r.pupil.ine}@x>"
        ).as_bytes()

    print("one core, pure Python; mails flattened to the bytes SMTP receives")
    built = rate("convocation mails (PDF + ICS + MIME)", mail, inputs, args.seconds)
    rate("  convocation PDF", lambda c: documents.convocation_pdf(c, tz=PARIS), inputs, args.seconds)
    rate("  calendar entry (ICS)", lambda c: interview_ics(c, "REQUEST", PARIS), inputs, args.seconds)
    rate("recap sheet mails (PDF + MIME)", recap, recaps(64), args.seconds)
    print(f"convocations built per second: {built:.0f}")


if __name__ == "__main__":
    main()
