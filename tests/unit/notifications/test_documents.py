"""R10, R19, R20, R20c, R22, R23, R26: the e-mails, PDF sheets and calendar entries of the notifications service."""

from __future__ import annotations

import ast
import email
import email.policy
import io
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar, Event
from pypdf import PdfReader

from services.notifications import documents
from services.notifications.documents import (
    OPINION_LABELS,
    AffelnetDates,
    Convocation,
    OverdueInterview,
    Pupil,
    Recap,
    RecapDomain,
    RecapLine,
    Referent,
    School,
    cancellation_mail,
    convocation_ics,
    convocation_mail,
    convocation_pdf,
    interview_reminder_mail,
    overdue_reminder_mail,
    pdf_text,
    recap_mail,
    recap_pdf,
)

PARIS = ZoneInfo("Europe/Paris")
SENDER = "Passpro <passpro@ac-creteil.fr>"
RECIPIENTS = ("ce.0941234a@ac-creteil.fr", "referent.passpro@ac-creteil.fr")

INES = Pupil(ine="123456789AB", first_name="Inès", last_name="Lefèvre")
RABELAIS = School(
    uai="0940001A", name="Lycée professionnel François Rabelais", address="12 rue de l'Égalité\n94000 Créteil"
)
FORMATIONS = ("CAP Cuisine", "Bac pro Commercialisation et services en restauration")
CONVOCATION = Convocation(
    interview_id="7f1c2d3e-0000-4000-8000-000000000001",
    pupil=INES,
    domain_label="Hôtellerie-restauration",
    starts_at=datetime(2013, 2, 20, 8, 0, tzinfo=UTC),
    ends_at=datetime(2013, 2, 20, 8, 30, tzinfo=UTC),
    place="Salle B12",
    reception=RABELAIS,
    formation_labels=FORMATIONS,
    origin=School(uai="0941234A", name="Collège Louise Michel", address=""),
    referent=Referent(name="Mme Durand", email="referent.passpro@ac-creteil.fr"),
    organizer="ce.0940001a@ac-creteil.fr",
    stamped_at=datetime(2013, 2, 12, 10, 15, tzinfo=UTC),
    interviews_end_on=date(2013, 4, 17),
    sequence=0,
)
AFTER_SUMMER_TIME = replace(
    CONVOCATION,
    starts_at=datetime(2013, 4, 2, 7, 0, tzinfo=UTC),
    ends_at=datetime(2013, 4, 2, 7, 30, tzinfo=UTC),
)
RECAP = Recap(
    pupil=INES,
    origin=School(uai="0941234A", name="Collège Louise Michel", address=""),
    affelnet=AffelnetDates(date(2013, 5, 13), date(2013, 5, 17), date(2013, 5, 31)),
    domains=(
        RecapDomain(
            domain_label="Hôtellerie-restauration",
            attended=True,
            report="Élève motivée, connaît bien le métier de cuisinier.\nA posé des questions sur les stages.",
            lines=(
                RecapLine("CAP Cuisine", "favorable", "favorable", "tres_favorable"),
                RecapLine(
                    "Bac pro Commercialisation et services en restauration",
                    "assez_favorable",
                    "reserve",
                    "peu_favorable",
                ),
            ),
        ),
        RecapDomain(
            domain_label="Métiers de la relation client",
            attended=False,
            report=None,
            lines=(RecapLine("Bac pro Métiers de l'accueil", "favorable", None, None),),
        ),
        RecapDomain(
            domain_label="Maintenance des matériels et des véhicules",
            attended=None,
            report=None,
            lines=(RecapLine("CAP Maintenance des véhicules", "reserve", None, None),),
        ),
    ),
)
FOREIGN = Pupil(ine="987654321ZZ", first_name="Łukasz", last_name="Nowak–Œuvre")


def parsed(msg: EmailMessage) -> EmailMessage:
    back = email.message_from_bytes(msg.as_bytes(), policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return back


def body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain",))
    assert part is not None
    assert part.get_content_charset() == "utf-8"
    return part.get_content()


def attachments(msg: EmailMessage) -> dict[str, EmailMessage]:
    return {part.get_filename(): part for part in msg.iter_attachments()}


def pdf_of(data: bytes) -> tuple[int, str]:
    reader = PdfReader(io.BytesIO(data))
    return len(reader.pages), "\n".join(page.extract_text() for page in reader.pages)


def single_line(text: str) -> str:
    return " ".join(text.split())


def calendar_of(data: bytes | str) -> tuple[Calendar, Event]:
    calendar = Calendar.from_ical(data)
    events = calendar.walk("VEVENT")
    assert len(events) == 1
    return calendar, events[0]


def mail_convocation(c: Convocation = CONVOCATION) -> EmailMessage:
    return parsed(
        convocation_mail(c, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<convocation-7f1c@passpro>")
    )


def mail_cancellation(c: Convocation, reason: str = "candidacies_withdrawn") -> EmailMessage:
    return parsed(
        cancellation_mail(
            c, reason, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<cancellation-7f1c@passpro>"
        )
    )


# --- convocation ------------------------------------------------------------------------------------------------


def test_r19_the_convocation_subject_names_the_domain_the_pupil_and_the_local_time() -> None:
    msg = mail_convocation()

    assert msg["Subject"] == "Convocation Passpro – Hôtellerie-restauration – Inès Lefèvre – 20/02/2013 09h00"


def test_r19_the_convocation_goes_to_the_origin_school_and_the_referent_with_the_given_message_id() -> None:
    msg = mail_convocation()

    assert msg["From"] == SENDER
    assert msg["To"] == ", ".join(RECIPIENTS)
    assert msg["Message-ID"] == "<convocation-7f1c@passpro>"
    assert msg["Date"] is None, "the sender dates the message; rendering never reads the clock"


def test_r19_the_convocation_body_gives_the_pupil_the_domain_the_date_the_time_the_place_and_the_school() -> None:
    text = body(mail_convocation())

    for expected in (
        "Inès",
        "Lefèvre",
        "Hôtellerie-restauration",
        "20/02/2013",
        "09h00",
        "09h30",
        "Salle B12",
        "Lycée professionnel François Rabelais",
        "12 rue de l'Égalité, 94000 Créteil",
    ):
        assert expected in text, expected


def test_r20_the_convocation_lists_each_formation_and_asks_for_one_motivation_letter_per_formation() -> None:
    text = body(mail_convocation())

    for formation in FORMATIONS:
        assert f"- {formation}" in text
    assert "une lettre de motivation par formation" in text
    assert "2 lettres de motivation" in text


def test_r20_a_single_formation_asks_for_one_letter() -> None:
    text = body(mail_convocation(replace(CONVOCATION, formation_labels=("CAP Cuisine",))))

    assert "1 lettre de motivation." in text


def test_r23_the_convocation_says_the_interview_is_about_information_and_motivation_not_behaviour() -> None:
    text = single_line(body(mail_convocation()))

    assert "informer l'élève" in text
    assert "motivation" in text
    assert "il ne porte pas sur son comportement" in text


def test_r20c_an_interview_after_the_change_to_summer_time_shows_nine_o_clock_in_paris() -> None:
    msg = mail_convocation(AFTER_SUMMER_TIME)
    text = body(msg)

    assert msg["Subject"].endswith("02/04/2013 09h00")
    assert "mardi 02/04/2013" in text
    assert "de 09h00 à 09h30" in text
    assert "07h00" not in text and "08h00" not in text


def test_r20c_times_are_shown_in_the_campaign_timezone_whatever_offset_the_caller_used() -> None:
    elsewhere = timezone(timedelta(hours=5))
    shifted = replace(
        CONVOCATION,
        starts_at=CONVOCATION.starts_at.astimezone(elsewhere),
        ends_at=CONVOCATION.ends_at.astimezone(elsewhere),
    )

    text = body(mail_convocation(shifted))

    assert "mercredi 20/02/2013" in text
    assert "de 09h00 à 09h30" in text


def test_r20c_a_time_without_offset_is_refused() -> None:
    naive = replace(CONVOCATION, starts_at=datetime(2013, 2, 20, 9, 0), ends_at=datetime(2013, 2, 20, 9, 30))

    with pytest.raises(ValueError, match="offset"):
        convocation_mail(naive, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<x@passpro>")


def test_r19_the_convocation_mail_attaches_the_pdf_and_the_calendar_request() -> None:
    parts = attachments(mail_convocation())

    assert set(parts) == {"convocation.pdf", "convocation.ics"}
    assert parts["convocation.pdf"].get_content_type() == "application/pdf"
    assert parts["convocation.ics"].get_content_type() == "text/calendar"
    assert parts["convocation.ics"].get_param("method") == "REQUEST"


def test_r19_the_convocation_pdf_is_one_printable_page_with_the_facts_and_the_formations_box() -> None:
    pages, text = pdf_of(convocation_pdf(CONVOCATION, tz=PARIS))
    flat = single_line(text)

    assert pages == 1
    for expected in (
        "Convocation à un entretien d'information Passpro",
        "Inès Lefèvre",
        "Hôtellerie-restauration",
        "20/02/2013",
        "09h00",
        "Salle B12",
        "Lycée professionnel François Rabelais",
        "94000 Créteil",
        *FORMATIONS,
        "une lettre de motivation par formation",
        "comportement",
    ):
        assert expected in flat, expected


def test_r19_the_attached_pdf_is_the_convocation_pdf() -> None:
    attached = attachments(mail_convocation())["convocation.pdf"].get_content()

    assert attached == convocation_pdf(CONVOCATION, tz=PARIS)


def test_r20c_the_convocation_pdf_shows_paris_time_after_the_change_to_summer_time() -> None:
    _, text = pdf_of(convocation_pdf(AFTER_SUMMER_TIME, tz=PARIS))

    assert "Lefèvre" in text
    assert "02/04/2013" in text
    assert "de 09h00 à 09h30" in text


def test_r19_the_calendar_request_has_a_stable_uid_the_booking_sequence_and_the_interview_times() -> None:
    ics = attachments(mail_convocation(replace(CONVOCATION, sequence=2)))["convocation.ics"].get_content()
    calendar, event = calendar_of(ics)

    assert calendar["METHOD"] == "REQUEST"
    assert event["UID"] == "7f1c2d3e-0000-4000-8000-000000000001@passpro.ac-creteil.fr"
    assert event["SEQUENCE"] == 2
    assert event["DTSTART"].dt == CONVOCATION.starts_at
    assert event["DTEND"].dt == CONVOCATION.ends_at
    assert event["DTSTART"].params["TZID"] == "Europe/Paris"
    assert event["SUMMARY"] == "Entretien Passpro – Hôtellerie-restauration"
    assert event["LOCATION"] == "Salle B12, Lycée professionnel François Rabelais, 12 rue de l'Égalité, 94000 Créteil"
    assert event["STATUS"] == "CONFIRMED"
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]


def test_r20c_the_calendar_request_keeps_the_instant_and_shows_nine_o_clock_after_the_change_to_summer_time() -> None:
    ics = attachments(mail_convocation(AFTER_SUMMER_TIME))["convocation.ics"].get_content()
    _, event = calendar_of(ics)

    assert event["DTSTART"].dt == datetime(2013, 4, 2, 7, 0, tzinfo=UTC)
    assert event["DTSTART"].dt.astimezone(PARIS).hour == 9
    assert "DTSTART;TZID=Europe/Paris:20130402T090000" in ics.replace("\r\n", "\n")


def test_r19_convocation_ics_on_its_own_keeps_the_instant_of_the_given_times() -> None:
    calendar, event = calendar_of(convocation_ics(CONVOCATION))

    assert calendar["METHOD"] == "REQUEST"
    assert event["DTSTART"].dt == CONVOCATION.starts_at
    assert event["DTEND"].dt == CONVOCATION.ends_at
    assert event["SEQUENCE"] == 0


def test_r19_convocation_ics_refuses_an_unknown_method() -> None:
    with pytest.raises(ValueError, match="method"):
        convocation_ics(CONVOCATION, method="REFRESH")


# --- cancellation -----------------------------------------------------------------------------------------------


def test_r10_the_cancellation_says_which_interview_and_why() -> None:
    cancelled = replace(CONVOCATION, sequence=1)
    msg = mail_cancellation(cancelled)
    text = body(msg)

    assert msg["Subject"].startswith("Annulation Passpro – Hôtellerie-restauration – Inès Lefèvre")
    assert msg["Message-ID"] == "<cancellation-7f1c@passpro>"
    for expected in (
        "Inès Lefèvre",
        "Hôtellerie-restauration",
        "20/02/2013",
        "09h00",
        "Lycée professionnel François Rabelais",
        "les candidatures de l'élève dans ce domaine ont été retirées",
    ):
        assert expected in text, expected


def test_r10_an_unknown_cancellation_reason_is_worded_generically_and_its_code_is_not_shown() -> None:
    text = body(mail_cancellation(replace(CONVOCATION, sequence=1), reason="slot_removed_by_admin"))

    assert "Motif : l'entretien a été annulé" in text
    assert "slot_removed_by_admin" not in text


def test_r19_the_cancellation_withdraws_the_calendar_entry_with_the_same_uid_and_a_higher_sequence() -> None:
    request_ics = attachments(mail_convocation())["convocation.ics"].get_content()
    cancel_part = attachments(mail_cancellation(replace(CONVOCATION, sequence=CONVOCATION.sequence + 1)))
    _, request = calendar_of(request_ics)

    assert set(cancel_part) == {"convocation.ics"}
    assert cancel_part["convocation.ics"].get_param("method") == "CANCEL"
    calendar, cancel = calendar_of(cancel_part["convocation.ics"].get_content())
    assert calendar["METHOD"] == "CANCEL"
    assert cancel["STATUS"] == "CANCELLED"
    assert cancel["UID"] == request["UID"]
    assert cancel["SEQUENCE"] > request["SEQUENCE"]
    assert cancel["DTSTART"].dt == request["DTSTART"].dt


# --- interview reminder -----------------------------------------------------------------------------------------


def test_r20_the_interview_reminder_gives_the_date_time_place_and_the_motivation_letters() -> None:
    msg = parsed(
        interview_reminder_mail(
            AFTER_SUMMER_TIME, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<reminder-7f1c@passpro>"
        )
    )
    text = body(msg)

    assert msg["Subject"].startswith("Rappel Passpro")
    assert msg["Subject"].endswith("02/04/2013 09h00")
    for expected in (
        "Inès Lefèvre",
        "02/04/2013",
        "09h00",
        "Salle B12",
        "Lycée professionnel François Rabelais",
        *FORMATIONS,
        "une lettre de motivation par formation",
    ):
        assert expected in text, expected
    assert list(msg.iter_attachments()) == []


# --- recap sheet ------------------------------------------------------------------------------------------------


def test_r26_opinion_codes_have_french_labels() -> None:
    assert OPINION_LABELS == {
        "tres_favorable": "Très favorable",
        "favorable": "Favorable",
        "assez_favorable": "Assez favorable",
        "peu_favorable": "Peu favorable",
        "reserve": "Réservé",
    }


def test_r26_the_recap_mail_lists_per_domain_the_report_and_per_formation_the_three_opinions() -> None:
    msg = parsed(
        recap_mail(RECAP, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<recap-123456789AB@passpro>")
    )
    text = body(msg)

    assert msg["Subject"] == "Fiche récapitulative Passpro – Inès Lefèvre"
    assert msg["To"] == RECIPIENTS[0]
    assert "connaît bien le métier de cuisinier" in text
    assert "Élève absent à l'entretien" in text
    assert "Compte rendu en attente" in text
    assert "Avis final : Très favorable" in text
    assert "Avis du lycée d'accueil : Réservé" in text
    assert "Avis final : Peu favorable" in text
    assert "Avis du collège d'origine : Assez favorable" in text
    assert "Avis du lycée d'accueil : en attente" in text
    assert "tres_favorable" not in text and "peu_favorable" not in text


def test_r26_the_recap_mail_keeps_each_domain_with_its_own_formations() -> None:
    text = body(
        parsed(recap_mail(RECAP, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<recap@passpro>"))
    )
    hotellerie, relation, maintenance = (text.index(d.domain_label) for d in RECAP.domains)

    assert hotellerie < text.index("CAP Cuisine") < relation
    assert relation < text.index("Élève absent à l'entretien") < text.index("Bac pro Métiers de l'accueil")
    assert maintenance < text.index("CAP Maintenance des véhicules")


def test_r26_the_recap_mail_attaches_the_recap_pdf() -> None:
    parts = attachments(
        parsed(recap_mail(RECAP, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<recap@passpro>"))
    )

    assert set(parts) == {"fiche-recapitulative.pdf"}
    assert parts["fiche-recapitulative.pdf"].get_content_type() == "application/pdf"
    assert parts["fiche-recapitulative.pdf"].get_content() == recap_pdf(RECAP, tz=PARIS)


def test_r26_the_recap_pdf_shows_the_reports_and_the_french_opinion_labels() -> None:
    _, text = pdf_of(recap_pdf(RECAP, tz=PARIS))
    flat = single_line(text)

    for expected in (
        "Fiche récapitulative Passpro",
        "Lefèvre",
        "123456789AB",
        "Collège Louise Michel (UAI 0941234A)",
        "Hôtellerie-restauration",
        "connaît bien le métier de cuisinier",
        "Élève absent à l'entretien",
        "Compte rendu en attente",
        "Très favorable",
        "Peu favorable",
        "Assez favorable",
        "Réservé",
        "en attente",
        "CAP Maintenance des véhicules",
    ):
        assert expected in flat, expected


def test_r26_a_recap_without_domain_is_refused_rather_than_sent_empty() -> None:
    empty = replace(RECAP, domains=())

    with pytest.raises(ValueError, match="domain"):
        recap_mail(empty, tz=PARIS, sender=SENDER, recipients=RECIPIENTS[:1], message_id="<recap@passpro>")
    with pytest.raises(ValueError, match="domain"):
        recap_pdf(empty, tz=PARIS)


# --- overdue reports --------------------------------------------------------------------------------------------


def test_r22_the_overdue_reminder_groups_the_missing_reports_by_domain_and_asks_to_enter_them() -> None:
    overdue = [
        OverdueInterview(
            "i-3", INES, "Hôtellerie-restauration", datetime(2013, 4, 2, 7, 0, tzinfo=UTC), date(2013, 4, 9)
        ),
        OverdueInterview(
            "i-1",
            Pupil("111", "Yanis", "Martin"),
            "Commerce",
            datetime(2013, 3, 12, 13, 0, tzinfo=UTC),
            date(2013, 3, 19),
        ),
        OverdueInterview(
            "i-2",
            Pupil("222", "Chloé", "Durand"),
            "Hôtellerie-restauration",
            datetime(2013, 3, 12, 13, 0, tzinfo=UTC),
            date(2013, 3, 19),
        ),
    ]
    msg = parsed(
        overdue_reminder_mail(
            RABELAIS,
            overdue,
            tz=PARIS,
            sender=SENDER,
            recipients=("ce.0940001a@x",),
            message_id="<overdue-0940001A@passpro>",
        )
    )
    text = body(msg)

    assert msg["Subject"] == "Relance Passpro – 3 comptes rendus d'entretien à saisir – " + RABELAIS.name
    assert text.count("== Domaine : Hôtellerie-restauration ==") == 1
    assert text.count("== Domaine : Commerce ==") == 1
    assert "Entretien du 12/03/2013 à 14h00 : Chloé Durand (compte rendu attendu le 19/03/2013)" in text
    assert "Entretien du 02/04/2013 à 09h00 : Inès Lefèvre (compte rendu attendu le 09/04/2013)" in text
    assert "Entretien du 12/03/2013 à 14h00 : Yanis Martin" in text
    assert text.index("Chloé Durand") < text.index("Inès Lefèvre"), "oldest interview first within a domain"
    assert "Merci de saisir" in text


def test_r22_a_single_overdue_report_is_worded_in_the_singular() -> None:
    one = [OverdueInterview("i-1", INES, "Commerce", datetime(2013, 3, 12, 13, 0, tzinfo=UTC), date(2013, 3, 19))]

    msg = overdue_reminder_mail(RABELAIS, one, tz=PARIS, sender=SENDER, recipients=("x@y",), message_id="<o@passpro>")

    assert msg["Subject"].startswith("Relance Passpro – 1 compte rendu d'entretien à saisir")


def test_r22_an_overdue_reminder_without_interview_is_refused() -> None:
    with pytest.raises(ValueError, match="overdue"):
        overdue_reminder_mail(RABELAIS, [], tz=PARIS, sender=SENDER, recipients=("x@y",), message_id="<o@passpro>")


# --- any name, any text -----------------------------------------------------------------------------------------


def test_pdf_text_keeps_latin1_and_simplifies_typographic_signs() -> None:
    assert pdf_text("L’élève « Zoë » – cœur… Œuvre ÀÉÇÔ") == "L'élève « Zoë » - coeur... OEuvre ÀÉÇÔ"
    assert pdf_text("Łukasz Ștefan Nguyễn 王 محمد") == "Lukasz Stefan Nguyen ? ????"
    assert pdf_text("ligne\r\nsuivante\tfin\x00") == "ligne\nsuivante fin"


def test_r19_a_name_outside_latin1_renders_in_every_document_without_error() -> None:
    c = replace(
        CONVOCATION, pupil=FOREIGN, place="Salle “Ωmega” 2ᵉ étage", formation_labels=("CAP Cuisine – œnologie",)
    )
    recap = replace(RECAP, pupil=FOREIGN)
    kwargs = {"tz": PARIS, "sender": SENDER, "recipients": RECIPIENTS, "message_id": "<x@passpro>"}

    texts = [
        body(parsed(convocation_mail(c, **kwargs))),
        body(parsed(cancellation_mail(c, "candidacies_withdrawn", **kwargs))),
        body(parsed(interview_reminder_mail(c, **kwargs))),
        body(parsed(recap_mail(recap, **kwargs))),
        body(
            parsed(
                overdue_reminder_mail(
                    RABELAIS, [OverdueInterview("i", FOREIGN, "Commerce", c.starts_at, date(2013, 2, 27))], **kwargs
                )
            )
        ),
    ]
    _, pdf = pdf_of(convocation_pdf(c, tz=PARIS))
    _, recap_text = pdf_of(recap_pdf(recap, tz=PARIS))
    _, event = calendar_of(convocation_ics(c))

    assert all("Łukasz Nowak–Œuvre" in text for text in texts), "mails keep the name exactly"
    assert "Lukasz Nowak-OEuvre" in pdf
    assert "Lukasz Nowak-OEuvre" in recap_text
    assert 'Salle "?mega" 2e étage' in pdf
    assert "Łukasz Nowak–Œuvre" in str(event["DESCRIPTION"])


def test_r19_line_breaks_in_names_never_reach_the_headers() -> None:
    c = replace(CONVOCATION, pupil=Pupil("1", "Inès\r\nBcc: x@y", "Lefèvre"), domain_label="Hôtellerie\nrestauration")

    msg = parsed(convocation_mail(c, tz=PARIS, sender=SENDER, recipients=RECIPIENTS, message_id="<x@passpro>"))

    assert msg["Bcc"] is None
    assert msg["Subject"] == "Convocation Passpro – Hôtellerie restauration – Inès Bcc: x@y Lefèvre – 20/02/2013 09h00"


def test_r19_a_mail_without_recipient_is_refused() -> None:
    with pytest.raises(ValueError, match="recipient"):
        convocation_mail(CONVOCATION, tz=PARIS, sender=SENDER, recipients=[], message_id="<x@passpro>")


def test_documents_are_the_same_bytes_for_the_same_facts() -> None:
    assert convocation_pdf(CONVOCATION, tz=PARIS) == convocation_pdf(CONVOCATION, tz=PARIS)
    assert recap_pdf(RECAP, tz=PARIS) == recap_pdf(RECAP, tz=PARIS)
    assert convocation_ics(CONVOCATION) == convocation_ics(CONVOCATION)


@pytest.mark.parametrize("module", sorted(Path(documents.__file__).parent.glob("*.py")), ids=lambda p: p.name)
def test_the_rendering_modules_do_no_io_messaging_or_logging(module: Path) -> None:
    tree = ast.parse(module.read_text(encoding="utf-8"))
    imported = {
        alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names
    }
    imported |= {
        node.module.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module
    }
    called = {
        node.func.attr for node in ast.walk(tree) if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
    }

    assert not imported & {"asyncpg", "faststream", "aio_pika", "httpx", "structlog", "logging"}
    assert not called & {"now", "utcnow", "today"}


@pytest.mark.parametrize(
    "domain_label",
    [
        "Hôtellerie-restauration",
        "Métiers de la relation client",
        "Maintenance des matériels et des véhicules",
        "Commerce",
        "Bâtiment",
    ],
)
@pytest.mark.parametrize(
    "policy", [email.policy.default, email.policy.SMTP, email.policy.SMTPUTF8], ids=["default", "smtp", "smtputf8"]
)
def test_r19_long_french_subjects_keep_every_space_once_encoded(
    domain_label: str, policy: email.policy.EmailPolicy
) -> None:
    c = replace(CONVOCATION, domain_label=domain_label)
    kwargs = {"tz": PARIS, "sender": SENDER, "recipients": RECIPIENTS, "message_id": "<x@passpro>"}

    for msg in (
        convocation_mail(c, **kwargs),
        cancellation_mail(c, "candidacies_withdrawn", **kwargs),
        interview_reminder_mail(c, **kwargs),
    ):
        subject = msg["Subject"]
        back = email.message_from_bytes(msg.as_bytes(policy=policy), policy=email.policy.default)
        assert back["Subject"] == subject
        assert f" – {domain_label} – Inès Lefèvre – 20/02/2013 09h00" in subject
