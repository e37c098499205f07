"""R19-R21, R26-R28: what version 2 convocations, corrections, cancellations and recap sheets carry."""

from __future__ import annotations

import email
import email.policy
import io
from dataclasses import replace
from datetime import UTC, date, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from pypdf import PdfReader

from services.notifications.documents import (
    AffelnetDates,
    Convocation,
    Pupil,
    Recap,
    RecapDomain,
    RecapLine,
    Referent,
    School,
    cancellation_mail,
    convocation_mail,
    convocation_pdf,
    interview_reminder_mail,
    recap_mail,
    recap_pdf,
)

PARIS = ZoneInfo("Europe/Paris")
SENDER = "Passpro <passpro@ac-creteil.fr>"
RECIPIENTS = ("ce.0930122c@ac-creteil.fr", "referente.durand@example.org")
RECEPTION = School("0771280Y", "Lycée professionnel Camille Claudel", "4 rue des Potiers\n77500 Chelles")
ORIGIN = School("0930122C", "Collège Jean Jaurès", "")
BOOKED_AT = datetime(2013, 2, 12, 14, 37, 5, tzinfo=UTC)

CONVOCATION = Convocation(
    interview_id="5b0e8a52-0000-4000-8000-0000000000aa",
    pupil=Pupil("1234567890X", "Anaïs", "Lefèvre-Ngô"),
    domain_label="Céramique et staff",
    starts_at=datetime(2013, 2, 20, 9, 0, tzinfo=UTC),
    ends_at=datetime(2013, 2, 20, 9, 30, tzinfo=UTC),
    place="Atelier céramique, bâtiment C",
    reception=RECEPTION,
    formation_labels=("CAP Métiers de la céramique", "CAP Staffeur ornemaniste"),
    origin=ORIGIN,
    referent=Referent("Mme Durand", "referente.durand@example.org"),
    organizer="ce.0771280y@ac-creteil.fr",
    stamped_at=BOOKED_AT,
    interviews_end_on=date(2013, 4, 17),
    sequence=0,
)
DATES = AffelnetDates(date(2013, 5, 13), date(2013, 5, 17), date(2013, 5, 31))
RECAP = Recap(
    pupil=Pupil("1234567890X", "Anaïs", "Lefèvre-Ngô"),
    origin=ORIGIN,
    domains=(
        RecapDomain(
            domain_label="Céramique et staff",
            attended=True,
            report="Très bonne connaissance du métier.",
            lines=(
                RecapLine("CAP Métiers de la céramique", "favorable", "favorable", "tres_favorable"),
                RecapLine("CAP Staffeur ornemaniste", "assez_favorable", None, None, withdrawn=True),
            ),
            reception=RECEPTION,
            interview_at=datetime(2013, 4, 2, 7, 0, tzinfo=UTC),
        ),
        RecapDomain(
            domain_label="Ébénisterie",
            attended=None,
            report=None,
            lines=(RecapLine("CAP Ébéniste", "favorable", None, None, withdrawn=True),),
            reception=School("0931024H", "Lycée professionnel Jean Jaurès", "1 rue X, 93000 Bobigny"),
            interview_at=datetime(2013, 3, 5, 13, 0, tzinfo=UTC),
        ),
    ),
    affelnet=DATES,
)


def parsed(msg: EmailMessage) -> EmailMessage:
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return back


def body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    return " ".join(part.get_content().split())


def pdf_text(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def ics(msg: EmailMessage) -> tuple[Calendar, Event]:
    [part] = [p for p in msg.iter_attachments() if p.get_filename() == "convocation.ics"]
    calendar = Calendar.from_ical(part.get_content())
    [event] = calendar.walk("VEVENT")
    return calendar, event


def convocation(c: Convocation = CONVOCATION) -> EmailMessage:
    return parsed(convocation_mail(c, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<c@passpro>"))


def cancellation(c: Convocation, reason: str) -> EmailMessage:
    return parsed(
        cancellation_mail(c, reason, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<a@passpro>")
    )


def recap() -> EmailMessage:
    return parsed(recap_mail(RECAP, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<r@passpro>"))


# --- convocation: who follows the pupil, and what to do when the pupil cannot come -----------------------------


def test_r19_the_convocation_names_the_referent_and_the_origin_school_with_its_uai() -> None:
    text = body(convocation())
    _, pdf = pdf_text(convocation_pdf(CONVOCATION, tz=PARIS))

    for document in (text, pdf):
        assert "Mme Durand" in document
        assert "Collège Jean Jaurès (UAI 0930122C)" in document
        assert "Lycée professionnel Camille Claudel (UAI 0771280Y)" in document


def test_r19_an_origin_school_the_directory_does_not_know_is_shown_by_its_uai() -> None:
    unknown = replace(CONVOCATION, origin=School("0930122C", "0930122C", ""))

    text = body(convocation(unknown))

    assert "Établissement d'origine : UAI 0930122C" in text
    assert "0930122C (UAI" not in text


def test_r21_the_convocation_says_to_warn_the_origin_school_which_may_ask_for_a_new_interview() -> None:
    text = body(convocation())
    _, pdf = pdf_text(convocation_pdf(CONVOCATION, tz=PARIS))

    for document in (text, pdf):
        assert "Si l'élève ne peut pas venir, merci de prévenir au plus tôt son établissement d'origine" in document
        assert "peut demander un nouvel entretien" in document
        assert "jusqu'au 17/04/2013" in document


def test_r21_the_convocation_says_plainly_that_an_absence_means_no_opinion_and_no_bonus() -> None:
    text = body(convocation())
    pages, pdf = pdf_text(convocation_pdf(CONVOCATION, tz=PARIS))

    assert pages == 1
    for document in (text, pdf):
        assert "sans entretien, le lycée d'accueil ne peut pas donner son avis" in document
        assert "ni avis final ni bonus Passpro dans Affelnet" in document
        assert "En 2012, plus de 30 % des élèves convoqués ne sont pas venus" in document


def test_r20b_the_reminder_also_says_what_to_do_when_the_pupil_cannot_come() -> None:
    text = body(
        parsed(
            interview_reminder_mail(
                CONVOCATION, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<m@passpro>"
            )
        )
    )

    assert "prévenir au plus tôt son établissement d'origine, Collège Jean Jaurès (UAI 0930122C)" in text


# --- calendar: what Outlook and Exchange need to accept the request and the cancellation ------------------------


def test_r19_the_calendar_request_is_organised_by_the_reception_school_and_invites_the_referent() -> None:
    _, event = ics(convocation())

    organizer, attendee = event["ORGANIZER"], event["ATTENDEE"]
    assert str(organizer) == "mailto:ce.0771280y@ac-creteil.fr"
    assert organizer.params["CN"] == "Lycée professionnel Camille Claudel"
    assert str(attendee) == "mailto:referente.durand@example.org"
    assert attendee.params["CN"] == "Mme Durand"
    assert attendee.params["ROLE"] == "REQ-PARTICIPANT"
    assert attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["RSVP"] == "FALSE"
    assert attendee.params["CUTYPE"] == "INDIVIDUAL"


def test_r19_the_calendar_stamp_is_when_the_invitation_was_made_not_the_interview() -> None:
    _, booked = ics(convocation())
    _, later = ics(convocation(replace(CONVOCATION, stamped_at=datetime(2013, 2, 14, 8, 0, tzinfo=UTC))))

    assert booked["DTSTAMP"].dt == datetime(2013, 2, 12, 14, 37, 5, tzinfo=UTC)
    assert later["DTSTAMP"].dt == datetime(2013, 2, 14, 8, 0, tzinfo=UTC)
    assert booked["DTSTART"].dt == datetime(2013, 2, 20, 9, 0, tzinfo=UTC)


def test_r19_the_cancellation_keeps_uid_organizer_and_attendee_with_a_higher_sequence_and_its_own_stamp() -> None:
    _, request = ics(convocation())
    cancelled_at = datetime(2013, 2, 15, 10, 0, tzinfo=UTC)

    calendar, cancel = ics(cancellation(replace(CONVOCATION, sequence=1, stamped_at=cancelled_at), "slot_cancelled"))

    assert calendar["METHOD"] == "CANCEL"
    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] == 1 > request["SEQUENCE"]
    assert str(cancel["ORGANIZER"]) == str(request["ORGANIZER"])
    assert str(cancel["ATTENDEE"]) == str(request["ATTENDEE"])
    assert cancel["DTSTAMP"].dt == cancelled_at


def test_r19_a_referent_without_a_name_is_still_invited_by_address() -> None:
    _, event = ics(convocation(replace(CONVOCATION, referent=Referent("", "referente.durand@example.org"))))

    assert str(event["ATTENDEE"]) == "mailto:referente.durand@example.org"
    assert "CN" not in event["ATTENDEE"].params


# --- corrected convocation after a partial withdrawal ------------------------------------------------------------


def test_r20_a_corrected_convocation_keeps_the_uid_raises_the_sequence_and_lists_the_remaining_formations() -> None:
    corrected = replace(
        CONVOCATION,
        formation_labels=("CAP Métiers de la céramique",),
        sequence=1,
        corrected=True,
        stamped_at=datetime(2013, 2, 13, 9, 0, tzinfo=UTC),
    )
    _, first = ics(convocation())

    msg = convocation(corrected)
    text = body(msg)
    calendar, event = ics(msg)
    _, pdf = pdf_text(convocation_pdf(corrected, tz=PARIS))

    assert str(msg["Subject"]).startswith("Convocation Passpro (modifiée) – Céramique et staff – Anaïs Lefèvre-Ngô")
    assert "Cette convocation remplace la précédente" in text
    assert "- CAP Métiers de la céramique" in text and "Staffeur" not in text
    assert "soit 1 lettre de motivation." in text
    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == first["UID"] and event["SEQUENCE"] > first["SEQUENCE"]
    assert "Convocation modifiée" in pdf and "Staffeur" not in pdf


def test_r20_a_first_convocation_does_not_say_it_replaces_another() -> None:
    msg = convocation()

    assert "(modifiée)" not in str(msg["Subject"])
    assert "remplace la précédente" not in body(msg)


# --- cancellation: why, in French, for every reason scheduling gives ---------------------------------------------


@pytest.mark.parametrize(
    ("reason", "motive"),
    [
        ("candidacies_withdrawn", "Motif : les candidatures de l'élève dans ce domaine ont été retirées."),
        ("slot_cancelled", "Motif : le lycée d'accueil a annulé ce créneau d'entretien."),
        ("rescheduled", "Motif : l'entretien a été déplacé"),
    ],
)
def test_r19_each_cancellation_reason_is_said_in_french_without_its_code(reason: str, motive: str) -> None:
    text = body(cancellation(replace(CONVOCATION, sequence=1), reason))

    assert motive in text
    assert reason not in text


def test_r15_r19_a_cancelled_slot_says_a_new_convocation_follows_or_the_origin_school_is_told() -> None:
    text = body(cancellation(replace(CONVOCATION, sequence=1), "slot_cancelled"))

    assert "une nouvelle convocation vous sera envoyée dès qu'un nouvel entretien sera fixé" in text
    assert "l'établissement d'origine en sera informé" in text


# --- recap sheet -------------------------------------------------------------------------------------------------


def test_r26_a_withdrawn_candidacy_stays_listed_as_withdrawn_with_no_final_opinion_and_no_bonus() -> None:
    text = body(recap())
    _, pdf = pdf_text(recap_pdf(RECAP, tz=PARIS))

    assert (
        "- CAP Staffeur ornemaniste (candidature retirée) Avis du collège d'origine : Assez favorable "
        "Avis du lycée d'accueil : - Avis final : Aucun, pas de bonus"
    ) in text
    assert "CAP Staffeur ornemaniste (candidature retirée)" in pdf
    assert "Aucun, pas de bonus" in pdf
    assert "Aucun domaine" not in text and "Aucun domaine" not in pdf


def test_r26_a_domain_whose_candidacies_were_all_withdrawn_is_still_listed() -> None:
    text = body(recap())
    _, pdf = pdf_text(recap_pdf(RECAP, tz=PARIS))

    for document in (text, pdf):
        assert "Domaine : Ébénisterie" in document
        assert "Candidatures retirées : pas d'avis final ni de bonus Affelnet pour ce domaine" in document
        assert "CAP Ébéniste (candidature retirée)" in document


def test_r26_each_domain_shows_its_reception_school_and_the_interview_date() -> None:
    text = body(recap())
    _, pdf = pdf_text(recap_pdf(RECAP, tz=PARIS))

    for document in (text, pdf):
        assert "Lycée professionnel Camille Claudel (UAI 0771280Y)" in document
        assert "mardi 02/04/2013 à 09h00" in document, "in Paris time, after the change to summer time"
        assert "Lycée professionnel Jean Jaurès (UAI 0931024H)" in document
        assert "mardi 05/03/2013 à 14h00" in document
        assert "Collège Jean Jaurès (UAI 0930122C)" in document


def test_r27_r28_the_recap_says_what_comes_next_with_the_campaign_dates() -> None:
    text = body(recap())
    _, pdf = pdf_text(recap_pdf(RECAP, tz=PARIS))

    for document in (text, pdf):
        assert "La famille confirme le choix de chaque formation" in document
        assert "dans Affelnet du 13/05/2013 au 31/05/2013 inclus" in document
        assert "soumis à commission doivent être saisis au plus tard le 17/05/2013" in document
        assert "quel que soit le rang du" in document


def test_r28_the_dates_come_from_the_campaign_not_from_the_2013_calendar() -> None:
    other = replace(RECAP, affelnet=AffelnetDates(date(2014, 5, 12), date(2014, 5, 16), date(2014, 5, 30)))

    text = body(parsed(recap_mail(other, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<r@passpro>")))

    assert "du 12/05/2014 au 30/05/2014 inclus" in text
    assert "au plus tard le 16/05/2014" in text
    assert "05/2013" not in text
