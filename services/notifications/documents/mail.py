"""An e-mail as every notification builds it: sender, recipients, a subject that survives folding, attachments.

The MIME structure is written as text (headers already in their wire form, the body quoted-printable, the
attachments base64), which is what ``EmailMessage.set_content`` and ``add_attachment`` produce, without their
header parsing: that parsing cost more than the convocation's PDF. The result is still an ``EmailMessage``.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from email import quoprimime
from email.header import Header
from email.message import EmailMessage

from services.notifications.documents.formatting import one_line

_MAX_LINE = 78


def message(*, subject: str, body: str, sender: str, recipients: Sequence[str], message_id: str) -> EmailMessage:
    if isinstance(recipients, str):
        recipients = [recipients]
    to = [address.strip() for address in recipients if address.strip()]
    if not to:
        raise ValueError("an e-mail needs at least one recipient")
    msg = EmailMessage()
    _header(msg, "From", sender)
    _header(msg, "To", ", ".join(to))
    _set_subject(msg, one_line(subject))
    _header(msg, "Message-ID", message_id)
    msg.set_raw("MIME-Version", "1.0")
    msg.set_raw("Content-Type", 'text/plain; charset="utf-8"')
    msg.set_raw("Content-Transfer-Encoding", "quoted-printable")
    # As the content manager encodes text: UTF-8, lines ended by \n, then quoted-printable.
    lines = body.encode("utf-8").splitlines()
    msg.set_payload(quoprimime.body_encode((b"\n".join(lines) + b"\n").decode("latin-1"), _MAX_LINE))
    return msg


def _header(msg: EmailMessage, name: str, value: str) -> None:
    """A header that needs neither encoding nor folding is stored as it goes on the wire; any other one goes
    through the e-mail policy, which encodes and folds it."""
    if value.isascii() and len(name) + 2 + len(value) <= _MAX_LINE and "\r" not in value and "\n" not in value:
        msg.set_raw(name, value)
    else:
        msg[name] = value


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The subject, encoded here when it is not ASCII.

    Python 3.11's folding of a long non-ASCII header can put a fold between two encoded words at a space, which
    readers then drop ("restauration– Inès"); a subject encoded as one run of encoded words keeps its spaces.
    """
    if subject.isascii():
        _header(msg, "Subject", subject)
    else:
        msg.set_raw("Subject", Header(subject, "utf-8", header_name="Subject").encode())


def _mixed(msg: EmailMessage) -> None:
    """The first attachment turns the text message into multipart/mixed, the text becoming its first part."""
    if msg.is_multipart():
        return
    text = EmailMessage()
    text.set_raw("Content-Type", 'text/plain; charset="utf-8"')
    text.set_raw("Content-Transfer-Encoding", "quoted-printable")
    text.set_payload(msg.get_payload())
    del msg["Content-Type"]
    del msg["Content-Transfer-Encoding"]
    # A fixed boundary per mail (from its Message-ID): quoted-printable and base64 lines never begin with it.
    digest = int.from_bytes(hashlib.sha256(str(msg.get("Message-ID", "")).encode()).digest()[:8])
    msg.set_raw("Content-Type", f'multipart/mixed; boundary="==============={digest % 10**19:019d}=="')
    msg.set_payload([text])


def _attach(msg: EmailMessage, data: bytes, content_type: str, filename: str) -> None:
    if not filename.isascii() or '"' in filename or "\\" in filename:
        maintype, _, rest = content_type.partition("/")
        subtype, *params = (part.strip() for part in rest.split(";"))
        msg.add_attachment(
            data,
            maintype=maintype,
            subtype=subtype,
            filename=filename,
            params=dict(param.replace('"', "").split("=", 1) for param in params),
        )
        return
    _mixed(msg)
    part = EmailMessage()
    part.set_raw("Content-Type", content_type)
    part.set_raw("Content-Transfer-Encoding", "base64")
    part.set_raw("Content-Disposition", f'attachment; filename="{filename}"')
    part.set_raw("MIME-Version", "1.0")
    part.set_payload(base64.encodebytes(data).decode("ascii"))
    msg.attach(part)


def attach_pdf(msg: EmailMessage, data: bytes, filename: str) -> None:
    _attach(msg, data, "application/pdf", filename)


def attach_ics(msg: EmailMessage, data: bytes, method: str) -> None:
    _attach(msg, data, f'text/calendar; method="{method}"; charset="utf-8"', "convocation.ics")


def attach_csv(msg: EmailMessage, data: bytes, filename: str) -> None:
    _attach(msg, data, 'text/csv; charset="utf-8"', filename)
