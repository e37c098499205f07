"""This session's campaign is scanned for personal data like the main session's: the same tests, collected here."""

from tests.e2e.test_zzzz_personal_data import (
    campaign_played,
    test_no_ine_the_portal_sent_is_in_a_mail_header,
    test_no_personal_data_the_portal_sent_is_in_a_log_or_metric,
)

__all__ = [
    "campaign_played",
    "test_no_ine_the_portal_sent_is_in_a_mail_header",
    "test_no_personal_data_the_portal_sent_is_in_a_log_or_metric",
]
