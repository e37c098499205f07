"""A local SMTP server: one that keeps every mail (the local stack's sink, the tests' SMTP server), one that counts.

``python -m harness.mail_sink --port 8025 --directory var/mail`` writes each mail it accepts as an
``.eml`` file a user can open. ``--counting`` keeps nothing: it counts mails, bytes and Message-IDs, so
that a benchmark measures what Passpro spends on a mail and not what a test mailbox spends storing it;
``NOOP COUNTS`` on the SMTP session answers the counts as JSON.
"""

from __future__ import annotations

import argparse
import email
import email.policy
import json
import re
import threading
import time
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller


class MailSink:
    """aiosmtpd handler: accepts every mail, keeps it in memory and, if asked, as an .eml file."""

    def __init__(self, directory: Path | None = None) -> None:
        self.directory = directory
        self.messages: list[EmailMessage] = []
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        message = email.message_from_bytes(raw, policy=email.policy.default)
        with self._lock:
            self.messages.append(message)  # type: ignore[arg-type]
            count = len(self.messages)
        if self.directory is not None:
            self.directory.mkdir(parents=True, exist_ok=True)
            (self.directory / f"{time.strftime('%Y%m%d-%H%M%S')}-{count:05d}.eml").write_bytes(raw)
        return "250 Message accepted for delivery"

    def received(self) -> list[EmailMessage]:
        with self._lock:
            return list(self.messages)


_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(?:\r?\n[ \t]+)?<", re.IGNORECASE | re.MULTILINE)
"""A Message-ID header line; a long one is folded, its value on the next line (RFC 5322)."""
COUNTS = "COUNTS"
"""The argument of ``NOOP`` that asks a counting sink for its counts."""


class CountingSink:
    """aiosmtpd handler for benchmarks: accepts every mail, counts it, keeps nothing of it.

    Only the header block is looked at (for a Message-ID line), never parsed: the sink must cost little
    beside the sender it measures.
    """

    def __init__(self) -> None:
        self.mails = 0
        self.bytes = 0
        self.message_ids = 0
        """Mails that carried a Message-ID: Passpro gives every mail one, from its stable key."""
        self._lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw: bytes = envelope.original_content or envelope.content
        end = raw.find(b"\r\n\r\n")
        headers = raw if end < 0 else raw[: end + 2]
        with self._lock:
            self.mails += 1
            self.bytes += len(raw)
            self.message_ids += _MESSAGE_ID.search(headers) is not None
        return "250 Message counted"

    async def handle_NOOP(self, server: Any, session: Any, envelope: Any, arg: str | None) -> str:
        if (arg or "").strip().upper() != COUNTS:
            return "250 OK"
        return f"250 {json.dumps(self.counts())}"

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {"mails": self.mails, "bytes": self.bytes, "message_ids": self.message_ids}


def read_counts(port: int, host: str = "127.0.0.1") -> dict[str, int]:
    """A counting sink's counts, asked over SMTP (``NOOP COUNTS``)."""
    import smtplib

    with smtplib.SMTP(host, port, timeout=10) as client:
        code, answer = client.docmd("NOOP", COUNTS)
    if code != 250:
        raise RuntimeError(f"the mail sink on {host}:{port} answered {code} {answer!r}")
    counts: dict[str, int] = json.loads(answer)
    return counts


def start(sink: MailSink | CountingSink, port: int) -> Controller:
    """Serves ``sink`` on 127.0.0.1:``port`` in a thread; ``controller.stop()`` makes SMTP unavailable."""
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", type=Path, default=Path("var/mail"))
    parser.add_argument("--counting", action="store_true", help="count mails, bytes and Message-IDs; keep nothing")
    args = parser.parse_args()
    controller = start(CountingSink() if args.counting else MailSink(args.directory), args.port)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
