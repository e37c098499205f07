"""The bytes and envelope the sender hands to SMTP (R19, R26): what aiosmtplib's ``send_message`` made of the same
message before, made once in the build thread without parsing the message's headers back."""

from __future__ import annotations

from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest
from aiosmtplib.email import extract_recipients, extract_sender, flatten_message

from bench.documents import convocations, recaps
from services.notifications import documents
from services.notifications.sender import on_the_wire

PARIS = ZoneInfo("Europe/Paris")
SENDER = "Passpro <passpro@ac-creteil.fr>"
RECIPIENTS = ("ce.0931500a@ac-creteil.fr", "Mme Durand <referent3@ac-creteil.fr>")


def mails() -> list[EmailMessage]:
    common = {"tz": PARIS, "sender": SENDER, "message_id": "<m@passpro.ac-creteil.fr>"}
    return [
        # Names with accents and an apostrophe, several formations, a calendar entry and a PDF.
        documents.convocation_mail(convocations(8)[3], recipients=RECIPIENTS, **common),
        documents.recap_mail(recaps(8)[5], recipients=RECIPIENTS[:1], **common),
    ]


@pytest.mark.parametrize("message", mails(), ids=["convocation", "recap"])
def test_r19_the_bytes_handed_to_smtp_are_those_the_message_flattens_to(message: EmailMessage) -> None:
    recipients = RECIPIENTS[: len(message.get_all("To", [])[0].addresses)]

    wire = on_the_wire(message, SENDER, recipients)

    assert wire.data == flatten_message(message)
    assert (wire.sender, list(wire.recipients)) == (extract_sender(message), extract_recipients(message))
    assert not wire.utf8 and wire.data.isascii()


def test_r19_an_address_that_is_not_ascii_asks_for_smtputf8() -> None:
    wire = on_the_wire(mails()[0], SENDER, ("école@ac-créteil.fr",))

    assert wire.utf8 and wire.recipients == ("école@ac-créteil.fr",)
