"""A local SMTP server that keeps every mail: the local stack's mail sink, and the tests' SMTP server.

``python -m deploy.mail_sink --port 8025 --directory var/mail`` writes each mail it accepts as an
``.eml`` file a user can open.
"""

from __future__ import annotations

import argparse
import email
import email.policy
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


def start(sink: MailSink, port: int) -> Controller:
    """Serves ``sink`` on 127.0.0.1:``port`` in a thread; ``controller.stop()`` makes SMTP unavailable."""
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    return controller


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--directory", type=Path, default=Path("var/mail"))
    args = parser.parse_args()
    controller = start(MailSink(args.directory), args.port)
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
