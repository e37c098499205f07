"""The simulator's scenario: seeded and pure, so a run can be replayed, and within the campaign's rules."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest

from contracts.campaign import load_campaign
from contracts.identifiers import is_valid_ine, is_valid_uai
from ops.simulation.scenario import Scenario, generate, registration_body

CAMPAIGN = load_campaign()


@pytest.fixture(scope="module")
def scenario() -> Scenario:
    return generate(CAMPAIGN, seed=2013, pupils=1200, origin_schools=40)


def test_the_same_seed_gives_the_same_campaign(scenario: Scenario) -> None:
    assert generate(CAMPAIGN, seed=2013, pupils=1200, origin_schools=40) == scenario


def test_another_seed_gives_another_campaign(scenario: Scenario) -> None:
    other = generate(CAMPAIGN, seed=2014, pupils=1200, origin_schools=40)
    assert {p.ine for p in other.pupils} != {p.ine for p in scenario.pupils}
    assert other.attempts != scenario.attempts


def test_sizes_are_the_ones_asked_for(scenario: Scenario) -> None:
    candidacies = sum(len(p.candidacies) for p in scenario.pupils)
    assert len(scenario.pupils) == 1200
    # and the directory's origin schools and a Paris collège, which register through the SAIO form
    assert len(scenario.origin_schools) == 40 + len(CAMPAIGN.origin_schools) + 1
    assert 1.5 <= candidacies / len(scenario.pupils) <= 1.9
    assert all(1 <= len(p.candidacies) <= 4 for p in scenario.pupils)
    assert all(len({c.formation_code for c in p.candidacies}) == len(p.candidacies) for p in scenario.pupils)


def test_identifiers_are_well_formed_and_unique(scenario: Scenario) -> None:
    ines = [p.ine for p in scenario.pupils]
    assert all(is_valid_ine(ine) for ine in ines)
    assert len(set(ines)) == len(ines)
    assert all(is_valid_uai(s.uai) for s in scenario.origin_schools)
    academie = set(CAMPAIGN.academie_departements)
    outside = [p for p in scenario.pupils if p.origin_uai[:3] not in academie]
    assert outside and {p.channel for p in outside} == {"saio_form"}


def test_r12_pupils_of_schools_without_portal_register_through_the_saio_form(scenario: Scenario) -> None:
    form = [p for p in scenario.pupils if p.channel == "saio_form"]

    assert {p.origin_uai for p in form} == {s.uai for s in CAMPAIGN.origin_schools} | {"0750654D"}
    assert len(form) == len(CAMPAIGN.origin_schools) + 1 + 1200 // 300


def test_r19_a_saio_form_pupil_gives_a_mailbox_exactly_when_the_directory_has_none(scenario: Scenario) -> None:
    for pupil in scenario.pupils:
        school = CAMPAIGN.school(pupil.origin_uai)
        needs = pupil.channel == "saio_form" and (school is None or school.mailbox is None)
        body = registration_body(scenario.campaign, pupil, pupil.candidacies[0])

        assert (pupil.origin_mailbox is not None) is needs, pupil.origin_uai
        assert body.get("origin_mailbox") == pupil.origin_mailbox


def test_r6_registrations_fall_in_the_window_but_a_few_come_too_late(scenario: Scenario) -> None:
    cal = CAMPAIGN.calendar
    days = Counter(p.registered_on > cal.registration_deadline for p in scenario.pupils)
    assert days[True] == 3
    assert all(cal.opens_on < p.registered_on and p.registered_on.weekday() < 5 for p in scenario.pupils)
    late = [p for p in scenario.pupils if p.registered_on > cal.registration_deadline]
    assert all(c.wish_entered_on is None and c.withdrawn_on is None for p in late for c in p.candidacies)


def test_r14_slots_are_in_the_interview_window_and_declared_in_the_planning_window(scenario: Scenario) -> None:
    cal = CAMPAIGN.calendar
    for declaration in scenario.declarations:
        domain = CAMPAIGN.domain(declaration.domain_code)
        assert domain is not None and declaration.reception_uai in domain.reception_uais
        assert cal.opens_on <= declaration.declared_on <= cal.planning_ends_on
        assert 1 <= len(declaration.slots) <= 200
        for start, capacity in declaration.slots:
            local = start.astimezone(CAMPAIGN.tz)
            assert cal.interviews_start_on <= local.date() <= cal.interviews_end_on
            assert local.weekday() < 5 and capacity >= 1
    starts = Counter((d.reception_uai, d.domain_code, s) for d in scenario.declarations for s, _ in d.slots)
    assert max(starts.values()) == 1


def test_r15_short_domains_lack_seats_until_the_recovery_day(scenario: Scenario) -> None:
    cal = CAMPAIGN.calendar
    pupils = Counter(d for p in scenario.pupils if p.registered_on <= cal.registration_deadline for d in p.domains)
    assert scenario.short_domains and scenario.recovery_on is not None
    for domain in scenario.short_domains:
        first = sum(d.seats for d in scenario.declarations if d.domain_code == domain and d.declared_on == cal.opens_on)
        later = sum(d.seats for d in scenario.declarations if d.domain_code == domain and d.declared_on > cal.opens_on)
        assert first < pupils[domain] < first + later
    for domain in set(pupils) - set(scenario.short_domains):
        assert sum(d.seats for d in scenario.declarations if d.domain_code == domain) > pupils[domain]


def test_r21_absences_follow_the_no_show_rate_and_some_ask_for_a_new_interview(scenario: Scenario) -> None:
    first = [a for (_, _, n), a in scenario.attempts.items() if n == 1]
    absent = [a for a in first if not a.attended]
    assert 0.25 <= len(absent) / len(first) <= 0.35
    assert 0.3 <= sum(a.asks_again for a in absent) / len(absent) <= 0.7
    assert not any(a.asks_again for (_, _, n), a in scenario.attempts.items() if n == 2)


def test_r22_each_attended_interview_has_one_opinion_per_formation_of_the_domain(scenario: Scenario) -> None:
    pupils = {p.ine: p for p in scenario.pupils}
    for (ine, domain, _), attempt in scenario.attempts.items():
        formations = {c.formation_code for c in pupils[ine].candidacies if c.domain_code == domain}
        assert {f for f, _ in attempt.opinions} == formations
        assert attempt.report.strip()


def test_r22_late_reports_come_after_the_overdue_reminder(scenario: Scenario) -> None:
    delay = CAMPAIGN.calendar.report_delay_days
    attempts = list(scenario.attempts.values())
    assert all(a.on_time_delay <= delay < delay + 3 <= a.late_delay for a in attempts)
    late_schools = [uai for uai, share in scenario.lateness.items() if share > 0.1]
    assert late_schools and set(scenario.lateness) == {s.uai for s in CAMPAIGN.reception_schools}


def test_r28_some_wishes_are_entered_after_the_deadline_none_for_withdrawn_candidacies(scenario: Scenario) -> None:
    cal = CAMPAIGN.calendar
    wishes = [c for _, c in scenario.candidacies() if c.wish_entered_on is not None]
    assert all(c.withdrawn_on is None for c in wishes)
    late = [c for c in wishes if c.wish_entered_on > cal.affelnet_wish_deadline]  # type: ignore[operator]
    assert 0 < len(late) < len(wishes) / 10
    assert all(cal.affelnet_entry_starts_on <= c.wish_entered_on for c in wishes)  # type: ignore[operator]
    assert all(c.wish_entered_on - cal.affelnet_wish_deadline <= timedelta(days=5) for c in late)  # type: ignore[operator]


def test_r10_withdrawals_come_after_registration_and_before_the_end_of_interviews(scenario: Scenario) -> None:
    withdrawn = [(p, c) for p, c in scenario.candidacies() if c.withdrawn_on is not None]
    assert withdrawn
    assert all(
        p.registered_on < c.withdrawn_on <= CAMPAIGN.calendar.interviews_end_on  # type: ignore[operator]
        and c.withdrawal_reason
        for p, c in withdrawn
    )


def test_the_mistakes_real_portals_send_are_all_there(scenario: Scenario) -> None:
    keys = Counter(m.routing_key for m in scenario.mistakes)
    assert keys == {"register_candidacy": 11, "withdraw_candidacy": 1, "declare_interview_slots": 2}
    assert any(isinstance(m.body, bytes) for m in scenario.mistakes)
    assert all("command_id" not in m.body for m in scenario.mistakes if not isinstance(m.body, bytes))


def test_too_small_a_campaign_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 20 pupils"):
        generate(CAMPAIGN, seed=1, pupils=5)


def test_r14_r15_a_sick_teacher_closes_one_days_slots_a_few_days_ahead_in_the_planning_window(
    scenario: Scenario,
) -> None:
    [sick] = scenario.cancellations
    tz, cal = CAMPAIGN.tz, CAMPAIGN.calendar
    declared = {
        start
        for d in scenario.declarations
        if (d.reception_uai, d.domain_code) == (sick.reception_uai, sick.domain_code)
        for start, _ in d.slots
    }
    days = {start.astimezone(tz).date() for start in sick.starts_at}

    assert len(days) == 1
    [day] = days
    assert set(sick.starts_at) <= declared
    assert {s for s in declared if s.astimezone(tz).date() == day} == set(sick.starts_at)  # the whole day
    assert sick.on == day - timedelta(days=2) and sick.on <= cal.planning_ends_on
    assert sick.domain_code not in scenario.short_domains
    assert sick.reason
