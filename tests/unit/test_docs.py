"""The manuals name only what exists: every `make` target, every `passpro` command, every relative link."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import pytest
import typer

from ops.cli import app

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

FENCE = re.compile(r"^```.*?^```", re.M | re.S)
CODE_SPAN = re.compile(r"`([^`\n]+)`")
MAKE = re.compile(r"(?:^|[\s;&|(])make ([a-z][\w-]*)")
PASSPRO = re.compile(r"(?:^|\$ |bin/)passpro ([a-z][\w-]*)(?: ([a-z][\w-]*))?")
LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)\)|!\[[^\]]*\]\(([^)\s]+)\)")
HEADING = re.compile(r"^(#{1,6}) (.+?)\s*$", re.M)


@dataclass(frozen=True)
class Mention:
    doc: Path
    text: str

    def __str__(self) -> str:
        return f"{shown(self.doc)}: {self.text}"


def shown(doc: Path) -> str:
    return doc.relative_to(ROOT).as_posix() if doc.is_relative_to(ROOT) else str(doc)


def code_of(text: str) -> list[str]:
    """What a reader would type: each line of the fenced blocks, and each inline code span outside them."""
    blocks = [line.strip() for block in FENCE.findall(text) for line in block.splitlines()[1:-1]]
    return blocks + CODE_SPAN.findall(FENCE.sub("", text))


def make_targets() -> set[str]:
    """The Makefile's rules (not its variable assignments)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    return {m.group(1) for m in re.finditer(r"^([A-Za-z0-9_.-]+)\s*:(?!=)", makefile, re.M)} - {".PHONY"}


def cli_commands() -> dict[str, set[str]]:
    """The `passpro` command's own parser: each subcommand, with its subcommands when it is a group."""
    root = typer.main.get_command(app)
    return {name: set(getattr(sub, "commands", {})) for name, sub in getattr(root, "commands", {}).items()}


def make_mentions(docs: list[Path]) -> list[tuple[Mention, str]]:
    return [
        (Mention(doc, code), target)
        for doc in docs
        for code in code_of(doc.read_text(encoding="utf-8"))
        for target in MAKE.findall(code)
    ]


def passpro_mentions(docs: list[Path]) -> list[tuple[Mention, str, str]]:
    return [
        (Mention(doc, code), sub, command)
        for doc in docs
        for code in code_of(doc.read_text(encoding="utf-8"))
        for sub, command in PASSPRO.findall(code)
    ]


def missing_targets(docs: list[Path]) -> list[str]:
    targets = make_targets()
    return [f"{mention}: no make target {target!r}" for mention, target in make_mentions(docs) if target not in targets]


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LN")
    return kept.replace(" ", "-")


def anchors(doc: Path) -> set[str]:
    seen: dict[str, int] = {}
    found = set()
    for _, title in HEADING.findall(FENCE.sub("", doc.read_text(encoding="utf-8"))):
        base = slug(title)
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    return found


def broken_links(docs: list[Path]) -> list[str]:
    problems = []
    for doc in docs:
        for groups in LINK.findall(FENCE.sub("", doc.read_text(encoding="utf-8"))):
            target = groups[0] or groups[1]
            if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # http:, https:, mailto:
                continue
            path_part, _, fragment = target.partition("#")
            path = (doc.parent / path_part).resolve() if path_part else doc
            where = f"{shown(doc)}: ({target})"
            if not path.exists():
                problems.append(f"{where}: no such file")
            elif fragment and path.exists() and path.suffix == ".md" and fragment not in anchors(path):
                problems.append(f"{where}: no heading for #{fragment}")
    return problems


def test_docs_are_found() -> None:
    names = {doc.relative_to(ROOT).as_posix() for doc in DOCS}
    assert {"README.md", "docs/architecture.md", "docs/operations.md", "docs/interface.md"} <= names


def test_every_make_target_named_exists() -> None:
    assert make_mentions(DOCS), "the docs name no make target at all: the search is broken"
    assert missing_targets(DOCS) == []


def test_every_passpro_command_named_exists() -> None:
    commands = cli_commands()
    mentions = passpro_mentions(DOCS)
    assert {sub for _, sub, _ in mentions} >= {"ops", "simulate"}, "the search found no passpro command"
    wrong = [
        f"{mention}: passpro {sub} {command}".rstrip()
        for mention, sub, command in mentions
        if sub not in commands or (command and commands[sub] and command not in commands[sub])
    ]
    assert wrong == []


def test_every_relative_link_points_to_an_existing_file_and_heading() -> None:
    assert broken_links(DOCS) == []


@pytest.mark.parametrize(
    ("heading", "anchor"),
    [
        ("The `passpro` command", "the-passpro-command"),
        ("`passpro simulate`", "passpro-simulate"),
        ("The runtime's modules", "the-runtimes-modules"),
        ("The broker: vhost, exchanges, queues, accounts", "the-broker-vhost-exchanges-queues-accounts"),
        ("The whole path (`make bench`)", "the-whole-path-make-bench"),
        ("The SMTP-after-250 window", "the-smtp-after-250-window"),
    ],
)
def test_anchors_are_spelt_as_github_spells_them(heading: str, anchor: str) -> None:
    assert slug(heading) == anchor


def test_a_doc_naming_a_missing_target_fails(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    text = "Run `make demo`, then `make launch-rockets`.\n\n```sh\nmake test\nmake nowhere\n```\n"
    doc.write_text(text, encoding="utf-8")
    problems = missing_targets([doc])
    assert len(problems) == 2
    assert any("launch-rockets" in p for p in problems) and any("nowhere" in p for p in problems)


def test_a_doc_with_a_broken_link_fails(tmp_path: Path) -> None:
    doc = tmp_path / "guide.md"
    doc.write_text("# Guide\n\n[here](#guide), [gone](missing.md), [nowhere](#no-such-part)\n", encoding="utf-8")
    assert len(broken_links([doc])) == 2
