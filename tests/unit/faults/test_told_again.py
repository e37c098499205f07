"""When the fault run does not call two shortfall mails with the same words a duplicate (R15): the domain's count
changed between them, so the second is news to its reader; in a row, it is the same mail twice."""

from __future__ import annotations

from tools.faults.checks import told_again_after_a_change
from tools.faults.outside import Reception

ONE = "<shortfall.hotellerie-restauration.1.1@passpro.ac-creteil.fr>"
THREE = "<shortfall.hotellerie-restauration.1.3@passpro.ac-creteil.fr>"
ONE_AGAIN = "<shortfall.hotellerie-restauration.2.1@passpro.ac-creteil.fr>"
OTHER_DOMAIN = "<shortfall.laboratoire.1.3@passpro.ac-creteil.fr>"


def test_the_same_count_told_again_after_another_count_of_the_domain_is_not_a_copy() -> None:
    log = [Reception(1.0, 1.0, ONE, "a"), Reception(2.0, 2.0, THREE, "b"), Reception(3.0, 3.0, ONE_AGAIN, "a")]

    assert told_again_after_a_change([ONE, ONE_AGAIN], log)


def test_the_same_count_twice_in_a_row_is_a_copy_even_with_another_domain_between() -> None:
    log = [Reception(1.0, 1.0, ONE, "a"), Reception(2.0, 2.0, OTHER_DOMAIN, "c"), Reception(3.0, 3.0, ONE_AGAIN, "a")]

    assert not told_again_after_a_change([ONE, ONE_AGAIN], log)


def test_the_same_message_id_twice_is_never_news() -> None:
    log = [Reception(1.0, 1.0, ONE, "a"), Reception(2.0, 2.0, THREE, "b"), Reception(3.0, 3.0, ONE, "a")]

    assert not told_again_after_a_change([ONE, ONE], log)


def test_other_mails_are_not_judged_here() -> None:
    convocation = "<convocation.7f1c2d3e-0000-4000-8000-000000000001@passpro.ac-creteil.fr>"
    log = [Reception(1.0, 1.0, convocation, "a"), Reception(2.0, 2.0, THREE, "b"), Reception(3.0, 3.0, ONE, "a")]

    assert not told_again_after_a_change([convocation, ONE], log)
