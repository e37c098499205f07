"""The campaign file (TOML): calendar, bonus points, schools directory and the catalog, validated on load."""

from contracts.campaign.loader import BUNDLED_CAMPAIGN, CampaignFileError, CampaignProblem, load_campaign
from contracts.campaign.model import (
    BonusPoints,
    Calendar,
    Campaign,
    Domain,
    Formation,
    Portal,
    SchedulingPolicy,
    School,
    SchoolKind,
)

__all__ = [
    "BUNDLED_CAMPAIGN",
    "BonusPoints",
    "Calendar",
    "Campaign",
    "CampaignFileError",
    "CampaignProblem",
    "Domain",
    "Formation",
    "Portal",
    "SchedulingPolicy",
    "School",
    "SchoolKind",
    "load_campaign",
]
