"""The mails the sink kept (one .eml file each), read by subject as they arrive."""

from __future__ import annotations

import email.policy
from email.parser import BytesHeaderParser
from pathlib import Path

KINDS = {
    "Convocation Passpro": "Convocation",
    "Annulation Passpro": "Annulation",
    "Rappel Passpro": "Rappel avant l'entretien",
    "Fiche récapitulative Passpro": "Fiche récapitulative",
    "Relance Passpro": "Relance des comptes rendus en retard",
    "Planning Passpro": "Planning d'une journée d'entretiens",
    "Manque de places Passpro": "Manque de places",
}
"""Subject prefix -> the kind of mail, in French."""


class Mailbox:
    """A mail directory; ``refresh`` reads the headers of the files that appeared since the last call."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.subjects: dict[Path, str] = {}
        self.message_ids: dict[Path, str] = {}
        """Each mail's Message-ID: notifications derives it from the mail's key (``<reminder.<interview>@…>``)."""
        self._parser = BytesHeaderParser(policy=email.policy.default)

    def refresh(self) -> Mailbox:
        if self.directory.is_dir():
            for path in sorted(self.directory.glob("*.eml")):
                if path not in self.subjects:
                    with path.open("rb") as handle:
                        headers = self._parser.parse(handle)
                    if not headers.get("Subject"):
                        continue  # still being written: read again next time
                    self.subjects[path] = str(headers.get("Subject", ""))
                    self.message_ids[path] = str(headers.get("Message-ID", "")).strip()
        return self

    def kinds(self) -> set[str]:
        return {
            kind for subject in self.subjects.values() for prefix, kind in KINDS.items() if subject.startswith(prefix)
        }

    def first(self, kind: str) -> Path | None:
        """The oldest mail of that kind (file names start with the time they were received)."""
        return next(iter(self.of_kind(kind)), None)

    def of_kind(self, kind: str) -> list[Path]:
        """The mails of that kind, oldest first."""
        return [
            path
            for path, subject in sorted(self.subjects.items())
            if any(subject.startswith(p) for p, k in KINDS.items() if k == kind)
        ]
