"""Calibration targets of the synthetic screening data, as data.

Every number comes from the reference report (spec B §4: Tables 6–10, 55 and
the text), either verbatim or as the derived count spec B gives where the
published tables disagree with themselves (spec B §7).  Counts are per
calibrated site A–D; a category key ``""`` is the missing count.  Where the
report gives only a group count (Table 6 ethnicity groups) the split into
census categories is ours and is marked as such.  Non-calibrated sites scale
these counts to their size (:func:`apportion`).
"""
from __future__ import annotations

import numpy as np

SITES = ("A", "B", "C", "D")
N = {"A": 475, "B": 367, "C": 400, "D": 731}
CONSENT_CONTACT = {"A": 190, "B": 97, "C": 167, "D": 446}  # spec B §0, sum 900
FOLLOWUP = {"A": 77, "B": 29, "C": 46, "D": 147}

# ---------------------------------------------------------------- Table 6
AGE = {"A": (40.6, 10.6, 0), "B": (38.8, 11.4, 11), "C": (42.3, 11.2, 0), "D": (41.9, 11.4, 0)}
"""(mean, SD, n missing); B: 3.0% of 367 missing."""
AGE_TOTAL = (41.1, 11.2)
AGE_RANGE = (18, 70)  # lower bound: adults; upper bound assumed (not reported)

ETHNICITY = {  # Table 6 groups split into census categories (the split is ours)
    "A": {"white_british": 433, "white_irish": 5, "other_white": 7, "black_caribbean": 1, "indian": 7,
          "pakistani": 6, "bangladeshi": 2, "chinese": 2, "other_asian": 3, "white_asian": 2,
          "white_black_caribbean": 2, "white_black_african": 1, "other_mixed": 1, "other": 2, "": 1},
    "B": {"white_british": 327, "white_irish": 5, "other_white": 8, "black_african": 1, "indian": 4,
          "pakistani": 2, "bangladeshi": 1, "chinese": 1, "other_asian": 2, "white_asian": 1,
          "white_black_caribbean": 1, "white_black_african": 1, "other_mixed": 1, "other": 2, "": 10},
    "C": {"white_british": 367, "white_irish": 4, "other_white": 7, "black_african": 2, "black_caribbean": 1,
          "other_black": 1, "indian": 2, "pakistani": 2, "chinese": 1, "other_asian": 1, "white_asian": 2,
          "white_black_caribbean": 2, "white_black_african": 1, "other_mixed": 1, "other": 3, "": 3},
    "D": {"white_british": 586, "white_irish": 11, "other_white": 18, "black_african": 4, "black_caribbean": 2,
          "other_black": 1, "indian": 11, "pakistani": 7, "bangladeshi": 3, "chinese": 3, "other_asian": 5,
          "white_asian": 2, "white_black_caribbean": 3, "white_black_african": 1, "other_mixed": 2, "other": 3,
          "": 69},
}
ETHNIC_GROUP_ROWS = ("white_british", "other_white", "black", "asian", "mixed", "other")
GENDER = {  # category sums of Table 6; missing = n - sum (B 9, C 4, D 4)
    "A": {"woman": 401, "man": 73, "another_way": 1, "": 0},
    "B": {"woman": 309, "man": 47, "another_way": 2, "": 9},
    "C": {"woman": 331, "man": 63, "another_way": 2, "": 4},
    "D": {"woman": 612, "man": 96, "another_way": 19, "": 4},
}
SEXUAL_ORIENTATION = {
    "A": {"heterosexual": 420, "another_way": 46, "": 9},
    "B": {"heterosexual": 307, "another_way": 38, "": 22},
    "C": {"heterosexual": 318, "another_way": 18, "": 64},
    "D": {"heterosexual": 587, "another_way": 49, "": 95},
}
DISABILITY = {  # yes from Table 6; blanks: B 80.4%, D 67% (text l.961); A and C blanks are our choice
    "A": {"yes": 64, "no": 386, "": 25},
    "B": {"yes": 30, "no": 42, "": 295},
    "C": {"yes": 72, "no": 318, "": 10},
    "D": {"yes": 29, "no": 212, "": 490},
}

# ---------------------------------------------------------------- Table 7
SECTOR = {
    "A": {"nhs": 289, "primary_care": 31, "social_care": 18, "emergency_services": 20, "education": 14,
          "vcse": 2, "local_authority": 17, "other": 84, "": 0},
    "B": {"nhs": 315, "primary_care": 15, "social_care": 13, "emergency_services": 3, "education": 0,
          "vcse": 0, "local_authority": 0, "other": 16, "": 5},
    "C": {"nhs": 222, "primary_care": 20, "social_care": 26, "emergency_services": 45, "education": 1,
          "vcse": 13, "local_authority": 4, "other": 54, "": 15},
    "D": {"nhs": 312, "primary_care": 66, "social_care": 59, "emergency_services": 30, "education": 9,
          "vcse": 36, "local_authority": 15, "other": 182, "": 22},
}
ICU_SHARE_OF_NHS = {"A": 0.30, "B": 0.12, "C": 0.10, "D": 0.18}  # text l.963
NIGHTINGALE_SHARE_OF_ICU = 0.08  # our choice; Nightingale counts as ICU
NHS_OTHER_SETTINGS = {"a_and_e": 0.15, "other_ward": 0.60, "across_hospital": 0.25}  # hospital settings
SECTOR_SETTING = {"primary_care": "primary_care", "education": "education",
                  "emergency_services": "emergency_services", "local_authority": "local_authority",
                  "vcse": "voluntary", "other": "other"}
SOCIAL_CARE_SETTINGS = {"residential_care": 0.6, "community_care": 0.4}
CLINICAL_ROLE_SITES = ("A", "C", "D")  # spec B §7.4: one of A/B, plus C and D
CLINICAL_SHARE = 0.70  # placeholder, not a reported figure
CLINICAL_SHARE_ICU = 0.90

# ---------------------------------------------------------------- Table 8
COVID = {  # item -> site -> (endorsed, non-missing n); denominators derived in spec B §4.3
    "covid_ill_home": {"A": (147, 475), "B": (84, 362), "C": (144, 391), "D": (204, 710)},
    "covid_ill_hosp": {"A": (19, 475), "B": (10, 362), "C": (23, 381), "D": (12, 693)},
    "family_ill_home": {"A": (119, 475), "B": (68, 362), "C": (136, 389), "D": (187, 700)},
    "family_ill_hosp": {"A": (37, 475), "B": (14, 362), "C": (39, 385), "D": (60, 692)},
    "financial_loss": {"A": (84, 475), "B": (33, 362), "C": (84, 392), "D": (152, 707)},
    "new_tasks": {"A": (245, 475), "B": (173, 362), "C": (193, 393), "D": (409, 701)},
    "seconded_redeployed": {"A": (116, 442), "B": (46, 362), "C": (48, 393), "D": (109, 672)},
    "moved_location": {"A": (153, 450), "B": (61, 362), "C": (105, 393), "D": (253, 695)},
    "bereavement": {"A": (71, 475), "B": (44, 362), "C": (65, 381), "D": (168, 707)},
}
PREPANDEMIC = {  # A's 7 missing are implied by its percentages (n = 468) despite "0% missing"
    "A": {"yes": 170, "unsure": 102, "no": 196, "": 7},
    "B": {"yes": 169, "unsure": 57, "no": 134, "": 7},
    "C": {"yes": 136, "unsure": 64, "no": 200, "": 0},
    "D": {"yes": 276, "unsure": 124, "no": 320, "": 11},
}

# ---------------------------------------------------------------- Table 9 and Table 55
BANDS = {  # measure -> site -> band -> n, over all records with the measure
    "phq9": {"A": (21, 73, 141, 149, 91), "B": (15, 76, 94, 78, 63), "C": (27, 94, 117, 94, 67),
             "D": (117, 185, 186, 159, 84)},
    "gad7": {"A": (28, 121, 146, 180), "B": (17, 91, 84, 133), "C": (44, 102, 124, 129), "D": (153, 207, 164, 207)},
    "pcl5": {"A": (182, 293), "B": (145, 180)},
    "itq": {"C": (262, 40, 97), "D": (528, 56, 147)},  # none, ptsd (only), cptsd
    "audit": {"A": (351, 88, 18, 18), "C": (322, 63, 5, 10), "D": (564, 131, 23, 13)},
    "wsas": {"A": (65, 213, 197), "B": (55, 152, 119), "C": (77, 170, 153), "D": (213, 311, 207)},
}
MOMENTS = {  # measure -> site -> (mean, SD) of the total; C GAD-7 11.5 replaces the printed 16 (spec B §4.4)
    "phq9": {"A": (14.4, 5.5), "B": (13.8, 5.9), "C": (13.2, 5.9), "D": (11.4, 6.3)},
    "gad7": {"A": (12.3, 4.9), "B": (12.6, 5.4), "C": (11.5, 5.5), "D": (10.2, 6.1)},
    "pcl5": {"A": (36.6, 16.6), "B": (34.3, 16.7)},
    "itq": {"C": (8.8, 6.3), "D": (8.2, 6.5)},
    "audit": {"A": (5.7, 5.8), "C": (5.0, 5.1), "D": (5.2, 5.0)},
    "wsas": {"A": (18.9, 8.3), "B": (17.5, 7.9), "C": (17.9, 9.5), "D": (15.1, 9.3)},
}
MOMENTS_TOTAL = {"phq9": (12.9, 6.1), "gad7": (11.4, 5.7), "pcl5": (35.6, 16.7), "itq": (8.4, 6.4),
                 "audit": (5.3, 5.3), "wsas": (17.0, 9.0)}
SEVERITY = {"A": (24, 104, 347), "B": (23, 71, 232), "C": (29, 128, 243), "D": (128, 230, 373)}
DOMAIN_COUNTS = {  # Table 55: complete cases over the site's measures, k = 0..5
    "A": (24, 39, 64, 94, 185, 69), "B": (23, 41, 46, 91, 124, 0), "C": (29, 62, 73, 110, 95, 30),
    "D": (128, 121, 124, 153, 165, 40),
}
NO_SCALES = {"A": 0, "B": 41, "C": 0, "D": 0}  # spec B §7.33: B's brief referral form
PARTIAL = {  # records with some measures only: the bands they have (one caseness each, spec B §4.10)
    "A": {}, "B": {"phq9": "mild", "wsas": "significant"}, "C": {"audit": "low_risk", "wsas": "significant"},
    "D": {},
}
DSO_MISSING = {"A": 0, "B": 0, "C": 3, "D": 12}  # CPTSD status missing, PTSD criteria not met

# ---------------------------------------------------------------- Table 10 (SUQ respondents)
FOLLOWUP_AGE = {"A": (43.4, 9.6), "B": (41.9, 11.6), "C": (46.5, 9.4), "D": (43.7, 11.0)}
FOLLOWUP_AGE_TOTAL = (43.9, 10.5)
FOLLOWUP_ETHNICITY = {  # A: 1 missing only (screening A has 1), the 77th is White British
    "A": {"white_british": 65, "other_white": 4, "black_caribbean": 1, "indian": 1, "pakistani": 3,
          "other_asian": 1, "white_black_caribbean": 1, "": 1},
    "B": {"white_british": 26, "other_white": 1, "black_african": 1, "other_asian": 1},
    "C": {"white_british": 43, "white_asian": 1, "": 2},
    "D": {"white_british": 125, "white_irish": 1, "other_white": 5, "other_black": 1, "indian": 1,
          "pakistani": 2, "other_mixed": 1, "": 11},
}
FOLLOWUP_GENDER = {  # A: screening A has no missing gender, so the 2 unaccounted are women; D another way = 3
    "A": {"woman": 62, "man": 14, "another_way": 1},
    "B": {"woman": 25, "man": 4},
    "C": {"woman": 34, "man": 9, "another_way": 1, "": 2},
    "D": {"woman": 128, "man": 16, "another_way": 3},
}
FOLLOWUP_SEXUAL_ORIENTATION = {
    "A": {"heterosexual": 65, "another_way": 9, "": 3}, "B": {"heterosexual": 26, "another_way": 2, "": 1},
    "C": {"heterosexual": 39, "another_way": 2, "": 5}, "D": {"heterosexual": 117, "another_way": 14, "": 16},
}
FOLLOWUP_DISABILITY = {
    "A": {"yes": 13, "no": 58, "": 6}, "B": {"yes": 1, "no": 1, "": 27},
    "C": {"yes": 12, "no": 32, "": 2}, "D": {"yes": 4, "no": 16, "": 127},
}

# ---------------------------------------------------------------- associations (Tables 30–35)
PREDICTORS = ("age", "man", "another_way", "minority", "icu", "clinical", "sexual_another_way", "disability",
              "covid_ill_home", "covid_ill_hosp", "family_ill_home", "family_ill_hosp", "financial_loss",
              "new_tasks", "seconded_redeployed", "moved_location", "bereavement", "ppc_yes", "ppc_unsure")
ODDS_RATIOS = {  # published site-adjusted ORs per predictor (age: per year); "ptsd" uses PCL-5 or ITQ columns
    "phq9": (1.0, 1.02, 0.75, 0.66, 1.14, 0.67, 1.89, 1.71, 1.21, 1.32, 1.21, 1.06, 1.48, 1.0, 0.93, 1.22,
             1.26, 2.03, 1.81),
    "gad7": (0.98, 0.95, 0.78, 1.14, 1.15, 0.98, 1.32, 1.17, 0.9, 0.82, 1.13, 1.39, 1.28, 1.13, 0.92, 1.21,
             1.38, 2.05, 1.66),
    "pcl5": (1.0, 1.09, 1.0, 1.89, 2.23, 0.92, 1.59, 1.79, 1.0, 2.56, 0.98, 1.27, 1.72, 0.97, 1.05, 0.98,
             1.48, 1.95, 1.29),
    "itq": (0.99, 1.17, 1.13, 1.32, 1.44, 1.1, 1.2, 1.32, 0.83, 1.25, 1.27, 1.62, 1.57, 1.71, 1.39, 1.49,
            1.91, 1.59, 1.07),
    "audit": (1.0, 2.35, 1.4, 0.24, 1.43, 1.35, 1.47, 0.65, 1.07, 0.2, 1.1, 0.74, 1.17, 1.38, 0.93, 0.71,
              1.3, 1.18, 1.53),
    "wsas": (0.99, 1.12, 1.42, 0.87, 0.85, 0.66, 2.44, 1.93, 1.23, 1.26, 1.62, 1.06, 1.59, 1.13, 0.83, 1.06,
             1.08, 2.29, 1.71),
}
LATENT_EFFECTS = {  # latent log-odds per predictor, tuned (docs/calibration-screening.md) so that the
    # site-adjusted caseness ORs of the default study approach ODDS_RATIOS despite the fixed margins
    "phq9": (-0.002, 0.015, -0.283, -0.540, 0.325, -0.535, 0.519, 0.623, 0.201, 0.585, 0.257, 0.088,
        0.394, 0.000, -0.107, 0.223, 0.245, 0.601, 0.493),
    "gad7": (-0.020, -0.025, -0.068, 0.094, 0.224, -0.173, 0.003, 0.275, -0.127, 0.108, 0.202, 0.323,
        0.295, 0.100, 0.002, 0.291, 0.345, 0.612, 0.537),
    "pcl5": (0.000, -0.029, 0.000, 0.224, 0.905, -0.270, 0.233, 0.529, -0.268, 1.169, -0.150, 0.193,
        0.678, 0.015, 0.111, -0.016, 0.278, 0.477, 0.266),
    "itq": (-0.012, 0.295, 0.245, 0.219, 0.270, 0.001, 0.070, 0.444, -0.243, 0.245, 0.337, 0.411, 0.388,
        0.472, 0.308, 0.544, 0.689, 0.356, -0.120),
    "audit": (0.001, 0.592, 0.149, -0.902, 0.134, 0.264, 0.149, -0.330, -0.006, -1.006, 0.044, -0.208,
        0.161, 0.217, -0.166, -0.185, 0.171, 0.107, 0.321),
    "wsas": (-0.009, -0.089, 0.106, -0.136, -0.149, -0.342, 0.859, 0.543, 0.221, 0.537, 0.484, 0.023,
        0.459, -0.059, -0.222, 0.054, 0.117, 0.617, 0.466),
}
LATENT_NEW_TASKS_PHQ9 = {"D": 1.022, "other": -0.259}  # PHQ-9 × new tasks: stronger at D


def apportion(counts: dict[str, float] | tuple[float, ...], total: int) -> np.ndarray:
    """Scale integer ``counts`` to sum to ``total`` (largest remainder; exact when total == sum)."""
    w = np.asarray(list(counts.values()) if isinstance(counts, dict) else counts, dtype=float)
    if total <= 0 or w.sum() <= 0:
        return np.zeros(len(w), dtype=int)
    quota = w * total / w.sum()
    out = np.floor(quota + 1e-9).astype(int)
    short = total - out.sum()
    if short > 0:
        order = np.argsort(-(quota - out), kind="stable")
        out[order[:short]] += 1
    return out


def scaled(counts: dict[str, float], total: int) -> dict[str, int]:
    """``counts`` (or shares) apportioned to ``total``, keeping the keys."""
    return dict(zip(counts, (int(v) for v in apportion(counts, total))))
