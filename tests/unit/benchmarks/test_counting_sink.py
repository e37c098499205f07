"""The benchmarks' counting SMTP sink: mails, bytes and Message-IDs counted over real SMTP, nothing kept."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from harness import mail_sink


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def counting() -> Iterator[tuple[mail_sink.CountingSink, int]]:
    sink, port = mail_sink.CountingSink(), _free_port()
    controller = mail_sink.start(sink, port)
    yield sink, port
    controller.stop()


def _mail(message_id: str | None, body: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "passpro@example.org"
    message["To"] = "college@example.org"
    message["Subject"] = "Convocation Passpro"
    if message_id is not None:
        message["Message-ID"] = message_id
    message.set_content(body)
    return message


def test_it_counts_mails_bytes_and_message_ids_and_keeps_nothing(counting: tuple[mail_sink.CountingSink, int]) -> None:
    sink, port = counting
    with smtplib.SMTP("127.0.0.1", port) as client:
        client.send_message(_mail("<convocation.1@passpro.ac-creteil.fr>", "Bonjour,\n" * 40))
        # As long as Passpro's: the header is folded, its value on a line of its own.
        client.send_message(
            _mail("<convocation.fad6e437-1467-42d3-afe5-0d475684ca96@passpro.ac-creteil.fr>", "Rappel.\n")
        )
        # A body line that looks like a header is not a Message-ID: only the header block counts.
        client.send_message(_mail(None, "Message-ID: <not.a.header@example.org>\n"))

    counts = mail_sink.read_counts(port)

    assert counts["mails"] == 3
    assert counts["message_ids"] == 2
    # What the server received, CRLF line ends included: each mail is more than its body, less than 2 kB here.
    assert 3 * 200 < counts["bytes"] < 3 * 2000
    assert counts["bytes"] == sink.bytes
    assert not [name for name in vars(sink) if isinstance(vars(sink)[name], list | dict | set)]


def test_a_plain_noop_is_answered_as_any_smtp_server_does(counting: tuple[mail_sink.CountingSink, int]) -> None:
    _, port = counting
    with smtplib.SMTP("127.0.0.1", port) as client:
        assert client.noop()[0] == 250


def test_the_storing_sink_gives_no_counts(tmp_path: object) -> None:
    port = _free_port()
    controller = mail_sink.start(mail_sink.MailSink(), port)
    try:
        with pytest.raises(ValueError):
            mail_sink.read_counts(port)
    finally:
        controller.stop()
