"""Calibration targets of the synthetic follow-up questionnaire, as data.

Published counts (report Tables 11, 12, 16, 17, 18, 23, 60 and 61; spec B §4.6–4.8, spec A
§2.5–2.10) per calibrated base site, plus the allocations this generator decided where the
report gives totals only (marked *decided*).  ``""`` is a blank (missing) answer.  Nested
blocks follow the questionnaire's skip logic: a block's counts are over respondents who
answered "yes" to its parent question.  The tests in ``tests/test_synth_followup.py`` check
that every decided allocation adds up to the published totals.
"""
from __future__ import annotations

SITES = ("A", "B", "C", "D")
N = {"A": 77, "B": 29, "C": 46, "D": 147}

# ---------------------------------------------------------------- Table 11 (contact, support, waiting list)
CONTACT_ANY = {"A": {"yes": 62, "no": 14, "dont_know": 1, "": 0}, "B": {"yes": 21, "no": 7, "dont_know": 1, "": 0},
               "C": {"yes": 37, "no": 6, "dont_know": 1, "": 2}, "D": {"yes": 99, "no": 42, "dont_know": 6, "": 0}}
CONTACT_PHONE = {  # among contact "yes"
    "A": {"yes": 62, "no": 0, "dont_know": 0, "": 0}, "B": {"yes": 21, "no": 0, "dont_know": 0, "": 0},
    "C": {"yes": 32, "no": 4, "dont_know": 1, "": 0}, "D": {"yes": 91, "no": 8, "dont_know": 0, "": 0}}
CONTACT_EMAIL = {  # among contact "yes"
    "A": {"yes": 33, "no": 25, "dont_know": 3, "": 1}, "B": {"yes": 13, "no": 6, "dont_know": 2, "": 0},
    "C": {"yes": 30, "no": 6, "dont_know": 0, "": 1}, "D": {"yes": 56, "no": 39, "dont_know": 4, "": 0}}
SUPPORT_ANY = {"A": {"yes": 63, "no": 13, "": 1}, "B": {"yes": 20, "no": 8, "": 1},
               "C": {"yes": 23, "no": 20, "": 3}, "D": {"yes": 65, "no": 72, "": 10}}
SUPPORT_HUB = {  # among support "yes"
    "A": {"yes": 51, "no": 11, "": 1}, "B": {"yes": 13, "no": 7, "": 0},
    "C": {"yes": 15, "no": 6, "": 2}, "D": {"yes": 16, "no": 45, "": 4}}
SUPPORT_EMPLOYER = {  # among support "yes"; independent of the source
    "A": {"yes": 5, "no": 13, "": 45}, "B": {"yes": 1, "no": 8, "": 11},
    "C": {"yes": 2, "no": 10, "": 11}, "D": {"yes": 13, "no": 37, "": 15}}
# Non-Hub support accessed via the Hub: "no" exactly where provided-by-Hub is "yes" (spec B §4.6);
# these "yes" counts fall on the other support-yes respondents, the rest of whom are blank.
SUPPORT_NONHUB_YES = {"A": 5, "B": 4, "C": 4, "D": 19}
WAITLIST_ANY = {"A": {"yes": 12, "no": 62, "": 3}, "B": {"yes": 1, "no": 25, "": 3},
                "C": {"yes": 9, "no": 32, "": 5}, "D": {"yes": 12, "no": 121, "": 14}}
WAITLIST_HUB = {"A": {"yes": 2, "no": 9, "": 1}, "B": {"yes": 0, "no": 1, "": 0},
                "C": {"yes": 6, "no": 2, "": 1}, "D": {"yes": 0, "no": 12, "": 0}}
WAITLIST_EMPLOYER = {"A": {"yes": 0, "no": 9, "": 3}, "B": {"yes": 0, "no": 1, "": 0},
                     "C": {"yes": 0, "no": 2, "": 7}, "D": {"yes": 2, "no": 8, "": 2}}
WAITLIST_NONHUB_YES = {"A": 3, "B": 1, "C": 0, "D": 6}

# ---------------------------------------------------------------- Table 12 (satisfaction; asked after contact)
# Helpfulness (0-100), decided: per-site values whose median, quartiles (linear interpolation,
# also robust to R type 6), minimum and maximum equal Table 12 per site and in total
# (median 92, IQR 69-100, n 202).
HELPFULNESS = {
    "A": (2, 6, 17, 35, 37, 38, 40, 52, 56, 57, 63, 73, 80, 80, 80, 80, 80, 80, 82, 86, 90, 91, 92, 93, 94, 95,
          96, 97, 97, 97, 97, 97, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100,
          100, 100, 100, 100, 100, 100, 100, 100, 100, 100),
    "B": (61, 68, 75, 81, 81, 81, 88, 89, 94, 94, 94, 94, 97, 100, 100, 100, 100, 100, 100, 100),
    "C": (0, 29, 34, 40, 44, 63, 65, 69, 69, 69, 69, 70, 74, 77, 79, 86, 89, 90, 93, 93, 94, 97, 97, 97, 97, 97,
          97, 97, 97, 100, 100, 100, 100, 100),
    "D": (0, 8, 12, 16, 17, 23, 27, 32, 34, 35, 37, 40, 42, 43, 45, 49, 50, 50, 52, 55, 57, 63, 63, 63, 64, 64,
          67, 69, 72, 74, 75, 77, 77, 79, 82, 82, 83, 84, 85, 85, 85, 85, 85, 85, 85, 85, 85, 86, 88, 89, 90, 91,
          92, 92, 92, 92, 93, 94, 95, 96, 97, 98, 98, 98, 98, 98, 98, 98, 98, 98, 98, 98, 99, 99, 99, 99, 100, 100,
          100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100, 100),
}
HELPFULNESS_PUBLISHED = {  # median, q1, q3, min, max, n
    "A": (97, 80, 100, 2, 100, 58), "B": (94, 81, 100, 61, 100, 20), "C": (89.5, 69, 97, 0, 100, 34),
    "D": (85, 63, 98, 0, 100, 90), "Total": (92, 69, 100, 0, 100, 202)}
MET_NEEDS = {"A": {"yes_fully": 43, "yes_partially": 12, "no": 5}, "B": {"yes_fully": 16, "yes_partially": 5, "no": 0},
             "C": {"yes_fully": 23, "yes_partially": 12, "no": 1}, "D": {"yes_fully": 66, "yes_partially": 25, "no": 7}}
REFERRAL = {"A": (23, 2, 5, 26, 5), "B": (8, 1, 0, 10, 2), "C": (18, 6, 1, 7, 4), "D": (34, 8, 9, 24, 22)}

# ---------------------------------------------------------------- timing and the Table 13 outcome
MONTHS_MEAN = {"A": 7.3, "B": 5.4, "C": 7.7, "D": 8.2}  # Chapter 4 text (l.1111)
MONTHS_SD = 1.6  # not reported per site (decided; the costed subsample has SD 1.78)
MONTHS_RANGE = (4.0, 14.0)  # decided
COSTED_MONTHS = (7.85, 1.78)  # complete-cost subsample, Chapter 5 (approximate target)
# accessed_due_to_hub: True for every Hub-provided and non-Hub-via-Hub respondent (95 + 32) plus
# these extra support-yes respondents; False for these; blank otherwise.  129 True / 36 False.
ACCESSED_EXTRA_TRUE = {"A": 1, "B": 0, "C": 0, "D": 1}
ACCESSED_FALSE = {"A": 5, "B": 2, "C": 3, "D": 26}

# ---------------------------------------------------------------- EQ-5D-5L (Table 16, Table 23)
DIMENSIONS = ("eq5d_mo", "eq5d_sc", "eq5d_ua", "eq5d_pd", "eq5d_ad")
EQ5D_COMPLETE = {"A": 73, "B": 26, "C": 40, "D": 131}  # Table 23; C by subtraction from 270
EQ5D_PARTIAL = {"A": 0, "B": 0, "C": 1, "D": 1}  # 2 partly missing (decided sites); 27 missing all five
TABLE16 = {"eq5d_mo": (205, 36, 24, 5, 0), "eq5d_sc": (238, 21, 11, 0, 0), "eq5d_ua": (149, 73, 33, 11, 4),
           "eq5d_pd": (132, 75, 46, 15, 2), "eq5d_ad": (76, 102, 75, 13, 4)}
# Level counts per site, decided: level 1 gives the Table 23 "no problems" shares (A pain 43% is
# not reachable with n = 73: 31/73 = 42.5%), columns add up to Table 16, and levels 2-5 were
# solved so that each site's mean under the England value set is the published crosswalk mean
# mapped by the ratio of decrements (see ENGLAND_SITE_TARGET).
EQ5D_LEVELS = {
    "A": {"eq5d_mo": (48, 14, 9, 2, 0), "eq5d_sc": (59, 9, 5, 0, 0), "eq5d_ua": (33, 22, 12, 5, 1),
          "eq5d_pd": (31, 18, 14, 8, 2), "eq5d_ad": (13, 31, 24, 5, 0)},
    "B": {"eq5d_mo": (24, 1, 1, 0, 0), "eq5d_sc": (25, 1, 0, 0, 0), "eq5d_ua": (17, 6, 3, 0, 0),
          "eq5d_pd": (17, 5, 3, 1, 0), "eq5d_ad": (7, 11, 6, 1, 1)},
    "C": {"eq5d_mo": (30, 5, 4, 1, 0), "eq5d_sc": (37, 3, 0, 0, 0), "eq5d_ua": (22, 12, 4, 2, 0),
          "eq5d_pd": (17, 14, 8, 1, 0), "eq5d_ad": (13, 15, 9, 1, 2)},
    "D": {"eq5d_mo": (103, 16, 10, 2, 0), "eq5d_sc": (117, 8, 6, 0, 0), "eq5d_ua": (77, 33, 14, 4, 3),
          "eq5d_pd": (67, 38, 21, 5, 0), "eq5d_ad": (43, 45, 36, 6, 1)},
}
NO_PROBLEMS_PCT = {  # Table 23, % at level 1 (A, B, D)
    "A": (66, 81, 45, 43, 18), "B": (92, 96, 65, 65, 27), "D": (79, 89, 59, 51, 33)}
FULL_HEALTH = {"A": 7, "B": 5, "C": 7, "D": 24}  # state 11111: 43/270 = 16% (site split decided)
CROSSWALK_MEAN = {"A": 0.684, "B": 0.815, "C": 0.767, "D": 0.779, "Total": 0.755}  # C by subtraction
CROSSWALK_CI = (0.731, 0.779)
# Under the additive England 5L value set the overall mean is fixed by Table 16: 1 - 49.14/270 = 0.818.
# Site targets keep the published relative differences: 1 - (1 - crosswalk) * (1 - 0.818) / (1 - 0.755).
ENGLAND_SITE_TARGET = {"A": 0.765, "B": 0.863, "C": 0.827, "D": 0.836, "Total": 0.818}
# EQ-VAS, decided multiset: n 270, mean 66.41, SD 19.22, median 70, modes 50 (32), 70 (20), 75 (19).
VAS_COUNTS = {10: 1, 15: 1, 20: 3, 25: 3, 30: 6, 34: 2, 35: 4, 38: 1, 40: 8, 41: 3, 45: 5, 47: 2, 48: 1, 49: 1,
              50: 32, 52: 2, 53: 1, 54: 1, 55: 8, 56: 3, 57: 1, 58: 2, 59: 1, 60: 16, 61: 3, 62: 1, 63: 3, 64: 3,
              65: 11, 66: 2, 69: 2, 70: 20, 73: 2, 74: 2, 75: 19, 76: 1, 77: 2, 78: 1, 79: 3, 80: 18, 81: 2,
              82: 3, 83: 3, 84: 3, 85: 14, 86: 3, 87: 1, 88: 3, 89: 2, 90: 16, 91: 1, 93: 1, 94: 1, 95: 7, 96: 1,
              97: 1, 99: 3, 100: 4}
VAS_SITE_SUM = {"A": 4562, "B": 1843, "C": 2614, "D": 8911}  # means 62.49, 70.88, 65.35, 68.02
# Latent health coefficients (decided; spec A §2.6 directions): lower index and VAS.
HEALTH_EFFECTS = {"ethnic_minority": -1.2, "disability": -1.0, "bereavement": -0.6, "covid_ill_hosp": -1.6,
                  "high_severity": -0.9, "severity_z": -0.35}

# ---------------------------------------------------------------- service use: completeness (Chapter 5)
COSTABLE = {  # both sections / mental health only / wider only / neither; both = Table 61 N
    "A": {"both": 44, "mh_only": 9, "other_only": 15, "neither": 9},
    "B": {"both": 20, "mh_only": 2, "other_only": 5, "neither": 2},
    "C": {"both": 17, "mh_only": 8, "other_only": 13, "neither": 8},
    "D": {"both": 101, "mh_only": 12, "other_only": 22, "neither": 12}}
COMPLETE_CASE_SUBGROUPS = {"ethnic_minority": 11, "men": 28, "care_home": 6, "emergency_services": 7}  # Table 61
SUPPORT_SUBGROUPS = {"ethnic_minority": 8, "men": 27, "care_home": 5, "emergency_services": 5}  # Table 60 "Yes"
# Support-yes respondents among the complete cases (decided), so the MH users fit.
COMPLETE_CASE_SUPPORT = {"A": 37, "B": 15, "C": 10, "D": 46}
# Support-yes respondents among each subgroup's complete cases (decided: enough to carry its Table 61 cost).
COMPLETE_CASE_SUBGROUP_SUPPORT = {"ethnic_minority": 6, "men": 18, "care_home": 4, "emergency_services": 4}

# ---------------------------------------------------------------- Table 17: mental health support types
STATUSES = ("current", "complete", "incomplete")
MH_TYPES = {  # id (= unit-cost category): (label, reports current, complete, incomplete among the 182 complete cases)
    "bereavement_support": ("Bereavement support", 1, 2, 0),
    "counselling": ("Counselling", 11, 5, 1),
    "covid_specific_support": ("COVID-specific support", 1, 2, 0),
    "digital_interventions": ("Digital interventions and support", 0, 1, 0),
    "gp_support": ("GP support", 2, 1, 0),
    "occupational_health": ("Occupational health assessment and support", 1, 1, 0),
    "third_sector": ("Other third-sector offer (charity)", 1, 0, 0),
    "hub_wellbeing_other": ("Other well-being support provided by the Hub", 4, 5, 1),
    "peer_support": ("Peer support", 1, 1, 0),
    "pharmacological_support": ("Pharmacological support", 18, 2, 0),
    "psychological_therapy": ("Psychological therapy/support", 25, 26, 4),
    "secondary_care_mh": ("Secondary care mental health support", 1, 2, 0),
    "wellbeing_support": ("Well-being support", 1, 1, 0),
}
MH_USERS = {  # Table 18 users per status (52 / 44 / 5); site split decided
    "current": {"A": 21, "B": 7, "C": 5, "D": 19}, "complete": {"A": 19, "B": 6, "C": 4, "D": 15},
    "incomplete": {"A": 2, "B": 1, "C": 0, "D": 2}}
# Table 18 wider categories (unit-cost category ids): inpatient, A and E, hospital outpatient/day case,
# primary care, community and social care.
WIDER_CATEGORIES = ("inpatient", "a_and_e", "outpatient_day_case", "primary_care", "community_social_care")
WIDER_USERS = {  # Table 18 users per category (2 / 9 / 21 / 61 / 2); site split decided
    "inpatient": {"A": 1, "B": 0, "C": 0, "D": 1}, "a_and_e": {"A": 3, "B": 0, "C": 1, "D": 5},
    "outpatient_day_case": {"A": 6, "B": 1, "C": 1, "D": 13},
    "primary_care": {"A": 17, "B": 4, "C": 5, "D": 35}, "community_social_care": {"A": 1, "B": 0, "C": 0, "D": 1}}

# ---------------------------------------------------------------- Tables 18 and 61: mean cost per participant
# Perspectives: total; excluding Hub-delivered; excluding Hub-delivered or Hub-accessed.  (mean, low, high);
# a printed "< £1" lower bound is stored as 0.
TABLE18 = {
    "mh_current": ((204, 141, 268), (96, 55, 136), (54, 25, 82)),
    "mh_complete": ((164, 108, 220), (62, 27, 98), (24, 3, 44)),
    "mh_incomplete": ((8, 0, 17), (7, 0, 15), (7, 0, 15)),
    "mh_total": ((376, 294, 459), (165, 108, 221), (84, 47, 121)),
    "inpatient": ((34, 0, 80), (34, 0, 80), (34, 0, 80)),
    "a_and_e": ((10, 3, 18), (10, 3, 18), (10, 3, 18)),
    "outpatient_day_case": ((42, 20, 65), (42, 20, 65), (42, 20, 65)),
    "primary_care": ((47, 19, 74), (47, 19, 74), (47, 19, 74)),
    "community_social_care": ((5, 0, 11), (5, 0, 11), (5, 0, 11)),
    "wider_total": ((138, 73, 202), (138, 73, 202), (129, 64, 193)),
    "total": ((514, 410, 618), (302, 219, 386), (213, 140, 286)),
}
TABLE61 = {  # group: (n, mental health (mean, low, high), wider (mean, low, high)); wider None = "£0 (NA)"
    "A": (44, (763, 554, 971), (203, 70, 335)), "B": (20, (512, 228, 797), (30, 0, 72)),
    "D": (101, (164, 104, 223), (147, 46, 247)),
    "ethnic_minority": (11, (383, 56, 710), (232, 0, 600)), "men": (28, (492, 235, 749), (105, 0, 238)),
    "care_home": (6, (346, 12, 680), (0, None, None)), "emergency_services": (7, (321, 5, 637), (164, 51, 277)),
}
SITE_C_COST = (17, 474, 43)  # implied by subtraction (spec A §2.9): n, mental health mean, wider mean
# Wider services accessed as a result of Hub support, per complete case: 138 - 129 (Table 18 column 3).
WIDER_ACCESSED_MEAN = 9.0

# ---------------------------------------------------------------- unit costs (synthetic, illustrative)
# The report's unit-cost table (RSM 2 Table 2) is not public; these are plausible 2021 GBP values in
# the spirit of its sources, labelled as synthetic.  (service_type, section, category, label, unit, cost, source)
PSSRU = "PSSRU Unit Costs of Health and Social Care 2021 (illustrative synthetic value)"
NCC = "NHS National Cost Collection 2019/20, uprated to 2021 prices (illustrative synthetic value)"
UNIT_COSTS = (
    *((t, "mental_health", t, label, unit, cost, src) for t, label, unit, cost, src in (
        ("bereavement_support", MH_TYPES["bereavement_support"][0], "session", 45.0, PSSRU),
        ("counselling", MH_TYPES["counselling"][0], "session", 62.0, PSSRU),
        ("covid_specific_support", MH_TYPES["covid_specific_support"][0], "session", 38.0, PSSRU),
        ("digital_interventions", MH_TYPES["digital_interventions"][0], "month of access", 25.0, PSSRU),
        ("gp_support", MH_TYPES["gp_support"][0], "consultation", 39.0, PSSRU),
        ("occupational_health", MH_TYPES["occupational_health"][0], "appointment", 88.0, PSSRU),
        ("third_sector", MH_TYPES["third_sector"][0], "session", 40.0, PSSRU),
        ("hub_wellbeing_other", MH_TYPES["hub_wellbeing_other"][0], "session", 56.0, PSSRU),
        ("peer_support", MH_TYPES["peer_support"][0], "session", 22.0, PSSRU),
        ("pharmacological_support", MH_TYPES["pharmacological_support"][0], "month of treatment", 16.0, PSSRU),
        ("psychological_therapy", MH_TYPES["psychological_therapy"][0], "session", 135.0, PSSRU),
        ("secondary_care_mh", MH_TYPES["secondary_care_mh"][0], "contact", 165.0, NCC),
        ("wellbeing_support", MH_TYPES["wellbeing_support"][0], "session", 26.0, PSSRU),
    )),
    ("inpatient_night", "wider", "inpatient", "Hospital inpatient stay", "night", 430.0, NCC),
    ("ae_attendance", "wider", "a_and_e", "Accident and emergency attendance", "attendance", 185.0, NCC),
    ("outpatient_attendance", "wider", "outpatient_day_case", "Hospital outpatient attendance",
     "attendance", 140.0, NCC),
    ("day_case", "wider", "outpatient_day_case", "Day-case procedure", "procedure", 780.0, NCC),
    ("gp_surgery_consultation", "wider", "primary_care", "GP surgery consultation", "consultation", 39.0, PSSRU),
    ("gp_telephone_consultation", "wider", "primary_care", "GP telephone consultation", "consultation", 20.0, PSSRU),
    ("practice_nurse_consultation", "wider", "primary_care", "Practice nurse consultation", "consultation", 12.0,
     PSSRU),
    ("community_nurse_visit", "wider", "community_social_care", "Community (district) nurse visit", "visit", 45.0,
     PSSRU),
    ("social_worker_contact", "wider", "community_social_care", "Social worker contact", "hour", 60.0, PSSRU),
)
# Service items, decided: mean quantity before calibration per status (current, complete, incomplete),
# and the chance that an item is Hub-delivered (respondent had Hub-provided support) or, if not,
# accessed due to the Hub (respondent accessed support as a result of the Hub).
MH_ITEM = {  # type: ((q current, q complete, q incomplete), p hub, p accessed)
    "bereavement_support": ((4, 6, 2), 0.3, 0.6), "counselling": ((5, 6, 2), 0.5, 0.6),
    "covid_specific_support": ((3, 4, 1), 0.6, 0.5), "digital_interventions": ((2, 3, 1), 0.5, 0.5),
    "gp_support": ((2, 3, 1), 0.0, 0.3), "occupational_health": ((2, 2, 1), 0.0, 0.2),
    "third_sector": ((4, 5, 2), 0.0, 0.6), "hub_wellbeing_other": ((4, 5, 2), 1.0, 0.0),
    "peer_support": ((4, 5, 2), 0.5, 0.5), "pharmacological_support": ((6, 6, 2), 0.0, 0.1),
    "psychological_therapy": ((8, 10, 3), 0.8, 0.7), "secondary_care_mh": ((4, 6, 2), 0.0, 0.9),
    "wellbeing_support": ((3, 4, 1), 0.5, 0.5),
}
WIDER_ITEM = {  # category: ((service_type, probability, mean quantity), ...); the first is always used
    "inpatient": (("inpatient_night", 1.0, 6),),
    "a_and_e": (("ae_attendance", 1.0, 1.2),),
    "outpatient_day_case": (("outpatient_attendance", 1.0, 2), ("day_case", 0.2, 1)),
    "primary_care": (("gp_surgery_consultation", 1.0, 3), ("gp_telephone_consultation", 0.5, 2),
                     ("practice_nurse_consultation", 0.3, 2)),
    "community_social_care": (("community_nurse_visit", 1.0, 6), ("social_worker_contact", 0.4, 6)),
}
WIDER_ACCESSED_P = 0.15  # chance a wider item of a Hub-accessing respondent was accessed due to the Hub
QUANTITY_CAP = {"inpatient_night": 60, "pharmacological_support": 12}  # default cap 40 units
