"""An e-mail as every notification builds it: sender, recipients, a subject that survives folding, attachments."""

from __future__ import annotations

from collections.abc import Sequence
from email.header import Header
from email.message import EmailMessage

from services.notifications.documents.formatting import one_line


def message(*, subject: str, body: str, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    if isinstance(recipients, str):
        recipients = [recipients]
    to = [address.strip() for address in recipients if address.strip()]
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    _set_subject(msg, one_line(subject))
    msg["Message-ID"] = message_id
    msg.set_content(body, subtype="plain", charset="utf-8", cte="quoted-printable")
    return msg


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The subject, encoded here when it is not ASCII.

    Python 3.11's folding of a long non-ASCII header can put a fold between two encoded words at a space, which
    readers then drop ("restauration– Inès"); a subject encoded as one run of encoded words keeps its spaces.
    """
    if subject.isascii():
        msg["Subject"] = subject
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def attach_pdf(msg: EmailMessage, data: bytes, filename: str) -> None:
    msg.add_attachment(data, maintype="application", subtype="pdf", filename=filename)


def attach_ics(msg: EmailMessage, data: bytes, method: str) -> None:
    msg.add_attachment(
        data, maintype="text", subtype="calendar", filename="convocation.ics",
        params={"method": method, "charset": "utf-8"},
    )


def attach_csv(msg: EmailMessage, data: bytes, filename: str) -> None:
    msg.add_attachment(data, maintype="text", subtype="csv", filename=filename, params={"charset": "utf-8"})
