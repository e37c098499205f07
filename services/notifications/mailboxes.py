"""Where a school's mail goes (R19, R22, R26): the one place that resolves a school's mailbox."""

from __future__ import annotations

from contracts.campaign import Campaign


def school_mailbox(uai: str, *, campaign: Campaign, mail_domain: str, pupil_origin_mailbox: str | None = None) -> str:
    """The school's functional mailbox, most specific first.

    The directory's ``mailbox`` when the campaign file gives one; else, for a pupil's origin school, the
    mailbox the pupil's registration gave (schools using the SAIO form have no académie mailbox); else the
    académie's ce.<uai in lower case>@<mail domain>. Pass ``pupil_origin_mailbox`` only for the pupil's
    origin school.
    """
    school = campaign.school(uai)
    if school is not None and school.mailbox:
        return school.mailbox
    if pupil_origin_mailbox:
        return pupil_origin_mailbox
    return f"ce.{uai.lower()}@{mail_domain}"
