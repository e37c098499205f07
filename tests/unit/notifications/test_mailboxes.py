"""Where each school's mail goes (R19, R22, R26): the directory's mailbox, the pupil's given one, or ce.<uai>@."""

from __future__ import annotations

from pathlib import Path

from contracts.campaign import BUNDLED_CAMPAIGN, Campaign, load_campaign
from services.notifications.mailboxes import school_mailbox

DOMAIN = "ac-creteil.fr"
CFA = "0932045T"
"""In the bundled directory with its own mailbox."""
PRIVATE = "0941702P"
"""In the bundled directory, without a mailbox."""
PARIS_COLLEGE = "0750654D"
"""Not in the directory."""
GIVEN = "secretariat.college@example.org"

CAMPAIGN = load_campaign()


def test_r19_a_school_outside_the_directory_gets_the_academie_mailbox() -> None:
    assert school_mailbox(PARIS_COLLEGE, campaign=CAMPAIGN, mail_domain=DOMAIN) == "ce.0750654d@ac-creteil.fr"


def test_r19_a_directory_school_without_mailbox_gets_the_academie_mailbox() -> None:
    assert school_mailbox(PRIVATE, campaign=CAMPAIGN, mail_domain=DOMAIN) == "ce.0941702p@ac-creteil.fr"


def test_r19_a_directory_school_with_a_mailbox_gets_it() -> None:
    assert school_mailbox(CFA, campaign=CAMPAIGN, mail_domain=DOMAIN) == "secretariat.cfa-hotellerie@example.org"


def test_r19_the_pupils_given_mailbox_replaces_the_academie_one() -> None:
    assert school_mailbox(PARIS_COLLEGE, campaign=CAMPAIGN, mail_domain=DOMAIN, pupil_origin_mailbox=GIVEN) == GIVEN


def test_r19_the_directory_mailbox_wins_over_the_pupils_given_one() -> None:
    found = school_mailbox(CFA, campaign=CAMPAIGN, mail_domain=DOMAIN, pupil_origin_mailbox=GIVEN)

    assert found == "secretariat.cfa-hotellerie@example.org"


def test_r22_a_reception_school_given_a_mailbox_in_the_directory_gets_its_mails_there(tmp_path: Path) -> None:
    text = BUNDLED_CAMPAIGN.read_text(encoding="utf-8").replace(
        'address = "4 rue des Potiers, 77500 Chelles"',
        'address = "4 rue des Potiers, 77500 Chelles"\nmailbox = "passpro@lycee-claudel.example.org"',
        1,
    )
    path = tmp_path / "campaign.toml"
    path.write_text(text, encoding="utf-8")
    campaign: Campaign = load_campaign(path)

    assert school_mailbox("0771280Y", campaign=campaign, mail_domain=DOMAIN) == "passpro@lycee-claudel.example.org"
