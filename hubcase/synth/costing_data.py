"""Hard-coded inputs of the synthetic Hub costing (calibrated sites A–D).

The reference report publishes only cross-site aggregates (chapter 5, Tables 14, 15, 58 and 59),
so these per-site values were solved numerically, once, so that the aggregates come back out of
the usual formulas; ``docs/calibration-costing.md`` explains how and which figures reproduce.
Nothing is solved at run time. Staff lines are the Table 4 posts read from the authored service
maps; only their cost category is set here.
"""
from __future__ import annotations

UNIT_COST_SOURCE = "Illustrative values in the style of PSSRU Unit Costs 2021 (synthetic)"

# Annual cost per WTE (GBP, 2021): salary plus salary on-costs (the primary costing), and the
# full cost with overheads and capital (about +35%, sensitivity analysis 2). Band 4/5 is the
# midpoint of bands 4 and 5.
STAFF_UNIT_COSTS: tuple[tuple[str, int, int], ...] = (
    ("2", 27_400, 37_000),
    ("3", 29_600, 40_000),
    ("4", 33_200, 44_800),
    ("4/5", 36_950, 49_850),
    ("5", 40_700, 54_900),
    ("6", 50_800, 68_600),
    ("7", 61_000, 82_400),
    ("8a", 71_300, 96_300),
    ("8b", 84_300, 113_800),
    ("8c", 100_600, 135_800),
    ("8d", 119_700, 161_600),
    ("9", 143_500, 193_700),
)

# Table 15 staff category of each Table 4 role. "Other staff" are the research and pharmacy posts
# (Table 15 note b); the pathways advisor is costed as clinical staff (Site B ticks no "other").
ROLE_CATEGORY: dict[str, str] = {
    "Clinical leadership": "clinical_leadership",
    "Service lead": "management",
    "Clinical/principal psychologist": "clinical_staff",
    "Operational/service manager": "management",
    "Clinical psychologist/psychological therapist/practitioner": "clinical_staff",
    "Strategic engagement lead": "management",
    "Pharmacist/non-medical prescriber": "other_staff",
    "Assistant service manager": "management",
    "Clinical psychologist/psychological therapist": "clinical_staff",
    "Advanced practitioner": "clinical_staff",
    "Business manager": "management",
    "Research associate": "other_staff",
    "Trainee clinical/counselling psychologist": "clinical_staff",
    "Mental health nurse": "clinical_staff",
    "Research assistant": "other_staff",
    "Trainee assistant psychological practitioner": "clinical_staff",
    "Assistant psychologist": "clinical_staff",
    "Pathways advisor": "clinical_staff",
    "Administrator": "administrative_support",
}

# Two six-month Site C posts whose funding was not continuous: listed, but excluded from the
# ongoing cost (continuous_funding false). Not part of Table 4. (role, band, wte, category)
TEMPORARY_POSTS: dict[str, tuple[tuple[str, str, float, str], ...]] = {
    "C": (("Temporary assistant psychologist (6-month post)", "4/5", 1.0, "clinical_staff"),
          ("Temporary administrator (6-month post)", "3", 1.0, "administrative_support")),
}

# Set-up (one-off) lines in the Table 14 categories: (category, description, amount, estimated).
# Totals A 101,713; B 169,478; C 63,948 -> mean 111,713, SD 53,471 (n = 3, ddof 1). Site D, an
# expanded existing service, reported none.
SETUP_LINES: dict[str, tuple[tuple[str, str, int, bool], ...]] = {
    "A": (("estates_overheads", "Office space and overheads", 38_500, False),
          ("it_infrastructure", "Clinical record system and network set-up", 24_800, False),
          ("equipment", "Laptops, phones and headsets", 15_600, False),
          ("workshops_conferences", "Launch events", 9_400, False),
          ("promotional_material", "Branding and launch campaign", 8_900, False),
          ("printing_stationery", "Leaflets and stationery", 4_513, True)),
    "B": (("estates_overheads", "Premises fit-out and overheads", 88_000, False),
          ("it_infrastructure", "Clinical record system and telephony", 36_500, False),
          ("equipment", "Laptops and video-call kit", 24_900, False),
          ("workshops_conferences", "Partner engagement events", 10_400, False),
          ("training", "Induction training", 6_100, False),
          ("travel", "Travel to partner organisations", 3_578, False)),
    "C": (("it_infrastructure", "Clinical record system and licences (virtual Hub)", 29_800, False),
          ("equipment", "Laptops and phones", 21_500, False),
          ("promotional_material", "Launch materials", 6_748, False),
          ("training", "Induction training", 5_900, False)),
}

# Ongoing non-staff lines in the Table 15 categories: (category, description, amount).
ONGOING_NON_STAFF: dict[str, tuple[tuple[str, str, int], ...]] = {
    "A": (("it_infrastructure", "Software licences and hosting", 24_600),
          ("equipment", "Equipment replacement", 18_900),
          ("workshops_conferences", "Workshop venues", 14_300),
          ("promotional_material", "Communications campaign", 21_800),
          ("travel", "Staff travel", 10_619)),
    "B": (("it_infrastructure", "Software licences, telephony and website", 118_400),
          ("equipment", "Equipment for the assistant psychologist workforce", 104_600),
          ("printing_stationery", "Printing, promotional items and stationery", 25_219)),
    "C": (("estates_overheads", "Premises share and overheads", 62_500),
          ("it_infrastructure", "Software licences", 28_400),
          ("equipment", "Equipment", 21_300),
          ("workshops_conferences", "Group and workshop venues", 16_800),
          ("promotional_material", "Promotion to partner organisations", 19_600),
          ("training", "Staff training", 9_800),
          ("travel", "Staff travel", 8_700),
          ("printing_stationery", "Printing and stationery", 12_349)),
    "D": (("estates_overheads", "Premises and overheads", 72_000),
          ("it_infrastructure", "Software licences", 14_900),
          ("equipment", "Non-pay as reported: supplies, consumables and equipment", 52_300),
          ("promotional_material", "Promotional items", 9_800),
          ("travel", "Staff travel", 6_200),
          ("printing_stationery", "Printing", 4_700),
          ("other_non_staff", "CQUIN payment framework", 17_953)),
}

# Activity and volume. Team counts and capacities exist for A, C and D only; individual capacity
# follows Table 59 note a (A, C and D). Budgets of the three new Hubs, D's not separable.
ACTIVITY: dict[str, dict[str, int | float | None]] = {
    "A": {"keyworkers_individual": 573, "keyworkers_team": 2672, "capacity_individual": 613,
          "capacity_team": 2672, "individual_share_low": 0.674, "individual_share_high": 0.772,
          "budget": 1_009_145},
    "B": {"keyworkers_individual": 784, "keyworkers_team": None, "capacity_individual": None,
          "capacity_team": None, "individual_share_low": 0.655, "individual_share_high": 0.655,
          "budget": 1_848_438},
    "C": {"keyworkers_individual": 1338, "keyworkers_team": 1786, "capacity_individual": 1338,
          "capacity_team": 1072, "individual_share_low": 0.564, "individual_share_high": 0.636,
          "budget": 1_181_998},
    "D": {"keyworkers_individual": 733, "keyworkers_team": 900, "capacity_individual": 1136,
          "capacity_team": 900, "individual_share_low": 0.496, "individual_share_high": 0.697,
          "budget": None},
}
