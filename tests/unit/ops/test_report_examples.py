"""The report's example mails: the first of each kind that shows something."""

from __future__ import annotations

from email.message import EmailMessage
from pathlib import Path

from ops.simulation.mailbox import Mailbox
from ops.simulation.report import copy_examples


def _recap(directory: Path, name: str, body: str) -> None:
    message = EmailMessage()
    message["Subject"] = "Fiche récapitulative Passpro – Élève"
    message.set_content(body)
    message.add_attachment(body.encode(), maintype="application", subtype="pdf", filename="fiche.pdf")
    (directory / name).write_bytes(message.as_bytes())


def test_a_recap_without_any_domain_is_not_taken_as_the_example(tmp_path: Path) -> None:
    mail, out = tmp_path / "mail", tmp_path / "out"
    mail.mkdir()
    out.mkdir()
    _recap(mail, "0001.eml", "Aucun domaine.")
    _recap(mail, "0002.eml", "Domaine : Ébénisterie")

    examples = copy_examples(Mailbox(mail).refresh(), out)

    assert examples == [("Fiche récapitulative", ["fiche-recapitulative.eml", "fiche-recapitulative.pdf"])]
    assert (out / "fiche-recapitulative.pdf").read_bytes() == "Domaine : Ébénisterie".encode()


def test_the_only_recap_is_the_example_even_without_a_domain(tmp_path: Path) -> None:
    mail, out = tmp_path / "mail", tmp_path / "out"
    mail.mkdir()
    out.mkdir()
    _recap(mail, "0001.eml", "Aucun domaine.")

    examples = copy_examples(Mailbox(mail).refresh(), out)

    assert [kind for kind, _ in examples] == ["Fiche récapitulative"]
