"""The personal-data scan again, after the schools' files: the same tests, collected here. Each scan looks at all
the session did before it; this one also covers the schools' files, whichever order pytest runs the folders in."""

from tests.e2e.test_zzzz_personal_data import (
    campaign_played,
    test_no_ine_the_portal_sent_is_in_a_mail_header,
    test_no_ine_the_portal_sent_is_in_the_operators_command_output,
    test_no_personal_data_the_portal_sent_is_in_a_log_or_metric,
)

__all__ = [
    "campaign_played",
    "test_no_ine_the_portal_sent_is_in_a_mail_header",
    "test_no_ine_the_portal_sent_is_in_the_operators_command_output",
    "test_no_personal_data_the_portal_sent_is_in_a_log_or_metric",
]
