"""The campaign file: the bundled 2013 campaign, and the errors a broken file gives."""

from collections import Counter
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from contracts.base import FinalOpinion, FormationKind
from contracts.campaign import BUNDLED_CAMPAIGN, Campaign, CampaignFileError, SchoolKind, load_campaign
from contracts.identifiers import departement_of_uai, is_valid_uai


@pytest.fixture(scope="module")
def campaign() -> Campaign:
    return load_campaign()


def _broken(tmp_path: Path, old: str, new: str) -> Path:
    text = BUNDLED_CAMPAIGN.read_text(encoding="utf-8")
    assert old in text, f"the bundled file no longer contains {old!r}: update this test"
    path = tmp_path / "broken.toml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _error_of(path: Path) -> str:
    with pytest.raises(CampaignFileError) as caught:
        load_campaign(path)
    return str(caught.value)


def test_the_bundled_campaign_is_2013_in_paris_time(campaign: Campaign) -> None:
    assert campaign.campaign == "2013"
    assert campaign.tz == ZoneInfo("Europe/Paris")


def test_r1_the_2013_catalog_has_19_domains_and_39_formations(campaign: Campaign) -> None:
    assert len(campaign.domains) == 19
    assert len(campaign.formations) == 39


def test_r1_the_2013_catalog_has_every_kind_of_formation(campaign: Campaign) -> None:
    kinds = Counter(formation.kind for formation in campaign.formations)
    assert set(kinds) == set(FormationKind)
    assert kinds[FormationKind.SECONDE_TECHNO] == 1


def test_every_formation_belongs_to_a_declared_domain(campaign: Campaign) -> None:
    codes = {domain.code for domain in campaign.domains}
    assert all(formation.domain in codes for formation in campaign.formations)


def test_every_domain_has_a_formation_and_a_declared_reception_school(campaign: Campaign) -> None:
    for domain in campaign.domains:
        assert campaign.formations_of(domain.code), domain.code
        assert domain.reception_uais, domain.code
        assert all(campaign.school(uai) is not None for uai in domain.reception_uais), domain.code


def test_every_reception_school_has_a_valid_uai_in_the_academie(campaign: Campaign) -> None:
    for school in campaign.reception_schools:
        assert is_valid_uai(school.uai), school.uai
        assert departement_of_uai(school.uai) in campaign.academie_departements


def test_every_reception_school_serves_a_domain(campaign: Campaign) -> None:
    serving = {uai for domain in campaign.domains for uai in domain.reception_uais}
    assert serving == {school.uai for school in campaign.reception_schools}


def test_the_directory_also_lists_origin_schools_some_with_their_own_mailbox(campaign: Campaign) -> None:
    origins = campaign.origin_schools
    cfa = campaign.school("0932045T")

    assert origins and all(school.kind is SchoolKind.ORIGIN for school in origins)
    assert cfa is not None and cfa in origins
    assert cfa.mailbox == "secretariat.cfa-hotellerie@example.org"
    assert any(school.mailbox is None for school in origins)
    assert all(school.address for school in campaign.reception_schools)


def test_a_school_without_kind_is_a_reception_school_when_a_domain_names_it(campaign: Campaign) -> None:
    school = campaign.school("0930830X")

    assert school is not None and school.kind is None
    assert campaign.kind_of(school) is SchoolKind.RECEPTION


def test_a_school_is_shown_by_name_with_its_uai_when_the_directory_knows_it(campaign: Campaign) -> None:
    assert campaign.school_label("0941702P") == "Collège privé hors contrat Les Tilleuls (0941702P)"
    assert campaign.school_label("0750654D") == "0750654D"


def test_r18_hotellerie_restauration_is_served_in_the_three_departements(campaign: Campaign) -> None:
    schools = campaign.reception_schools_of("hotellerie-restauration")
    assert {departement_of_uai(school.uai) for school in schools} == {"077", "093", "094"}


def test_the_metallerie_pole_of_the_lycee_aristide_briand_is_a_reception_school(campaign: Campaign) -> None:
    names = {school.name for school in campaign.reception_schools_of("metallerie")}
    assert "Lycée Aristide Briand" in names


def test_the_2013_calendar_is_the_procedures(campaign: Campaign) -> None:
    calendar = campaign.calendar
    assert (calendar.opens_on, calendar.registration_deadline) == (date(2013, 2, 4), date(2013, 3, 29))
    assert calendar.planning_ends_on == date(2013, 4, 3)
    assert (calendar.interviews_start_on, calendar.interviews_end_on) == (date(2013, 2, 11), date(2013, 4, 17))
    assert (calendar.report_delay_days, calendar.convocation_notice_days) == (3, 5)
    assert calendar.interview_reminder_days == 2
    assert calendar.affelnet_entry_starts_on == date(2013, 5, 13)
    assert calendar.commission_wish_deadline == date(2013, 5, 17)
    assert calendar.affelnet_wish_deadline == date(2013, 5, 31)


def test_r29_bonus_points_follow_the_final_opinion_order(campaign: Campaign) -> None:
    points = [campaign.bonus_points.points_for(opinion) for opinion in FinalOpinion]
    assert points == sorted(points, reverse=True)


def test_lookups_by_code(campaign: Campaign) -> None:
    assert campaign.domain_of("cap-cuisine") == "hotellerie-restauration"
    assert campaign.domain_of("cap-astronaute") is None
    assert [formation.code for formation in campaign.formations_of("ebenisterie")] == [
        "cap-ebeniste",
        "2nde-pro-artisanat-ebeniste",
    ]
    assert campaign.formations_of("unknown") == ()
    formation = campaign.formation("2nde-techno-hotellerie")
    assert formation is not None and formation.kind is FormationKind.SECONDE_TECHNO
    assert campaign.school("0750654D") is None


def test_optional_settings_have_their_defaults(tmp_path: Path) -> None:
    text = BUNDLED_CAMPAIGN.read_text(encoding="utf-8")
    kept = [
        line
        for line in text.splitlines()
        if not line.startswith(("interview_reminder_days", "academie_departements", "[scheduling]"))
        and not line.startswith(("min_gap_hours", "one_interview_per_half_day", "planning_round_seconds", "alarm_days"))
    ]
    path = tmp_path / "minimal.toml"
    path.write_text("\n".join(kept), encoding="utf-8")

    campaign = load_campaign(path)

    assert campaign.calendar.interview_reminder_days == 2
    assert campaign.academie_departements == ["077", "093", "094"]
    assert campaign.scheduling.min_gap_hours == 0
    assert campaign.scheduling.one_interview_per_half_day is True
    assert campaign.scheduling.planning_round_seconds == 2.0
    assert campaign.scheduling.alarm_days == 3


def test_a_toml_syntax_error_names_the_file_and_the_line(tmp_path: Path) -> None:
    path = _broken(tmp_path, 'timezone = "Europe/Paris"', 'timezone = "Europe/Paris')

    message = _error_of(path)

    assert str(path) in message
    assert "line 16" in message
    assert "TOML syntax error" in message


def test_a_formation_with_an_unknown_domain_names_the_key(tmp_path: Path, campaign: Campaign) -> None:
    index = [formation.code for formation in campaign.formations].index("cap-patissier")
    path = _broken(
        tmp_path,
        'label = "CAP Pâtissier"\nkind = "CAP"\ndomain = "hotellerie-restauration"',
        'label = "CAP Pâtissier"\nkind = "CAP"\ndomain = "patisserie"',
    )

    message = _error_of(path)

    assert str(path) in message
    assert f"formations[{index}].domain" in message
    assert "unknown domain 'patisserie'" in message


def test_a_uai_with_a_wrong_check_letter_names_the_key_and_the_right_letter(tmp_path: Path, campaign: Campaign) -> None:
    index = [school.uai for school in campaign.schools].index("0930830X")
    path = _broken(tmp_path, 'uai = "0930830X"', 'uai = "0930830Y"')

    message = _error_of(path)

    assert str(path) in message
    assert f"schools[{index}].uai" in message
    assert "must be followed by X" in message


def test_a_reception_school_not_declared_names_the_key(tmp_path: Path, campaign: Campaign) -> None:
    index = [domain.code for domain in campaign.domains].index("photographie")
    path = _broken(tmp_path, 'reception_uais = ["0931238R", "0940617K"]', 'reception_uais = ["0931238R", "0750654D"]')

    message = _error_of(path)

    assert f"domains[{index}].reception_uais[1]" in message
    assert "0750654D is not declared in [[schools]]" in message


def test_a_missing_calendar_date_names_the_key(tmp_path: Path) -> None:
    path = _broken(tmp_path, "affelnet_wish_deadline = 2013-05-31", "")

    message = _error_of(path)

    assert str(path) in message
    assert "calendar.affelnet_wish_deadline" in message
    assert "missing" in message


def test_calendar_dates_out_of_order_name_the_later_date(tmp_path: Path) -> None:
    path = _broken(tmp_path, "registration_deadline = 2013-03-29", "registration_deadline = 2013-01-29")

    message = _error_of(path)

    assert "calendar.registration_deadline" in message
    assert "before opens_on" in message


def test_a_misspelt_key_is_an_error(tmp_path: Path) -> None:
    path = _broken(tmp_path, "report_delay_days = 3", "report_delay_days = 3\nreport_delays = 4")

    message = _error_of(path)

    assert "calendar.report_delays" in message


def test_an_unknown_timezone_is_an_error(tmp_path: Path) -> None:
    path = _broken(tmp_path, 'timezone = "Europe/Paris"', 'timezone = "Europe/Creteil"')

    message = _error_of(path)

    assert "timezone" in message
    assert "Europe/Creteil" in message


def test_a_duplicate_formation_code_is_an_error(tmp_path: Path) -> None:
    path = _broken(tmp_path, 'code = "cap-patissier"', 'code = "cap-cuisine"')

    message = _error_of(path)

    assert "'cap-cuisine' is declared more than once" in message


def test_a_missing_file_is_a_campaign_file_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.toml"

    message = _error_of(path)

    assert str(path) in message
    assert "cannot be read" in message


def test_the_campaign_is_over_once_wishes_are_entered_and_the_last_report_is_due() -> None:
    calendar = load_campaign().calendar

    assert calendar.last_day == max(
        calendar.affelnet_wish_deadline, calendar.interviews_end_on + timedelta(days=calendar.report_delay_days)
    )
    assert calendar.last_day.isoformat() == "2013-05-31"


CFA = '''uai = "0932045T"
name = "CFA des métiers de l'hôtellerie de Saint-Denis"
address = "3 rue de la Briche, 93200 Saint-Denis"
mailbox = "secretariat.cfa-hotellerie@example.org"
kind = "origin"'''


def _index_of(campaign: Campaign, uai: str) -> int:
    return [school.uai for school in campaign.schools].index(uai)


def test_a_malformed_school_mailbox_names_the_key(tmp_path: Path, campaign: Campaign) -> None:
    path = _broken(tmp_path, 'mailbox = "secretariat.cfa-hotellerie@example.org"', 'mailbox = "secretariat du CFA"')

    message = _error_of(path)

    assert str(path) in message
    assert f"schools[{_index_of(campaign, '0932045T')}].mailbox" in message
    assert "'secretariat du CFA' is not an e-mail address" in message


def test_an_unknown_key_in_a_school_is_an_error(tmp_path: Path, campaign: Campaign) -> None:
    path = _broken(tmp_path, CFA, CFA.replace("mailbox =", "mail_box ="))

    message = _error_of(path)

    assert f"schools[{_index_of(campaign, '0932045T')}].mail_box" in message
    assert "not a key of the campaign file format" in message


def test_an_unknown_school_kind_is_an_error(tmp_path: Path, campaign: Campaign) -> None:
    path = _broken(tmp_path, CFA, CFA.replace('kind = "origin"', 'kind = "cfa"'))

    message = _error_of(path)

    assert f"schools[{_index_of(campaign, '0932045T')}].kind" in message
    assert "'reception'" in message and "'origin'" in message


def test_a_malformed_school_uai_names_the_key(tmp_path: Path, campaign: Campaign) -> None:
    path = _broken(tmp_path, 'uai = "0941702P"', 'uai = "094170P"')

    message = _error_of(path)

    assert f"schools[{_index_of(campaign, '0941702P')}].uai" in message
    assert "'094170P' is not a UAI" in message


def test_an_origin_school_named_as_a_reception_school_is_an_error(tmp_path: Path, campaign: Campaign) -> None:
    index = [domain.code for domain in campaign.domains].index("photographie")
    path = _broken(tmp_path, 'reception_uais = ["0931238R", "0940617K"]', 'reception_uais = ["0931238R", "0932045T"]')

    message = _error_of(path)

    assert f"domains[{index}].reception_uais[1]" in message
    assert '0932045T is declared kind = "origin"' in message


def test_a_domain_naming_a_school_outside_the_directory_is_an_error(tmp_path: Path, campaign: Campaign) -> None:
    index = [domain.code for domain in campaign.domains].index("photographie")
    path = _broken(tmp_path, 'reception_uais = ["0931238R", "0940617K"]', 'reception_uais = ["0931238R", "0941918Z"]')

    message = _error_of(path)

    assert f"domains[{index}].reception_uais[1]" in message
    assert "0941918Z is not declared in [[schools]]" in message


def test_a_reception_school_needs_an_address(tmp_path: Path, campaign: Campaign) -> None:
    path = _broken(tmp_path, 'address = "4 rue des Potiers, 77500 Chelles"\n', "")

    message = _error_of(path)

    assert f"schools[{_index_of(campaign, '0771280Y')}].address" in message
    assert "a reception school needs its address" in message


def test_an_origin_school_may_go_without_address_or_kind(tmp_path: Path) -> None:
    name = 'name = "Collège privé hors contrat Les Tilleuls"\n'
    path = _broken(tmp_path, name + 'kind = "origin"\n', name)

    campaign = load_campaign(path)

    school = campaign.school("0941702P")
    assert school is not None and school.address is None and school.kind is None
    assert campaign.kind_of(school) is SchoolKind.ORIGIN


def test_r12_the_bundled_campaign_scopes_two_portals_to_their_schools(campaign: Campaign) -> None:
    assert [(p.name, p.schools) for p in campaign.portals] == [
        ("portal-93", ["0930122C", "0931500A"]),
        ("portal-94", ["0941918Z"]),
    ]


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        ('name = "portal-94"', 'name = "portal-93"', "portals[1].name: 'portal-93' is declared more than once"),
        ('name = "portal-94"', 'name = "scheduling"', "portals[1].name: 'scheduling' is already a Passpro account"),
        ('name = "portal-94"', 'name = "portal"', "portals[1].name: 'portal' is already a Passpro account"),
        ('schools = ["0941918Z"]', 'schools = ["0941918A"]', "wrong check letter"),
        ('schools = ["0941918Z"]', "schools = []", "portals"),
    ],
)
def test_r12_a_wrong_portal_stops_the_services_naming_the_key(
    tmp_path: Path, old: str, new: str, expected: str
) -> None:
    assert expected in _error_of(_broken(tmp_path, old, new))
