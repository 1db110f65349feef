"""Scoring of screening records (analyses.scoring): totals, bands, ITQ, severity, domains, covariates.

Every expected value is worked out by hand in the comment beside it.
"""
from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from analyses.scoring import score_screening
from hubcase.instruments import MEASURES

ALL = ("phq9", "gad7", "pcl5", "itq", "audit", "wsas")


def items_for(measure_id: str, total: int | None) -> dict[str, int | None]:
    """Item responses summing to ``total`` (filled greedily from the first item)."""
    m = MEASURES[measure_id]
    out: dict[str, int | None] = {}
    left = total
    for item in m.scored_items:
        if total is None:
            out[item] = None
            continue
        out[item] = min(left, m.item_max)
        left -= out[item]
    assert total is None or left == 0, f"{total} does not fit {measure_id}"
    return out


def typed(df: pd.DataFrame, site: str = "A") -> pd.DataFrame:
    """A screening-like frame with the loader's nullable dtypes; absent columns are missing."""
    df = df.copy()
    if "record_id" not in df:
        df.insert(0, "record_id", [f"r{i}" for i in range(1, len(df) + 1)])
    if "site" not in df:
        df["site"] = site
    df["site"] = df["site"].astype("string")
    for col in ("ethnicity", "disability", "sector", "work_setting", "clinical_role"):
        if col not in df:
            df[col] = None
        df[col] = df[col].astype("category")
    for m in MEASURES.values():
        for item in m.items:
            df[item] = pd.array(df[item] if item in df else [None] * len(df), dtype="Int64")
    return df


def frame(rows: list[dict], site: str = "A") -> pd.DataFrame:
    return typed(pd.DataFrame(rows), site)


def score(rows: list[dict], sites=None) -> pd.DataFrame:
    return score_screening(frame(rows), sites=sites or {"A": ALL, "B": ALL})


def test_phq9_items_give_total_band_and_caseness():
    # 3+3+2+2+1+1+0+0+0 = 12 -> band 10–14 "moderate" -> caseness (≥ 10)
    items = dict(zip(MEASURES["phq9"].items, [3, 3, 2, 2, 1, 1, 0, 0, 0]))
    out = score([items]).iloc[0]
    assert out["phq9_total"] == 12
    assert out["phq9_band"] == "moderate"
    assert bool(out["case_phq9"]) is True


def test_total_is_missing_when_any_item_is_missing():
    items = dict(zip(MEASURES["phq9"].items, [3, 3, 2, 2, 1, 1, 0, 0, None]))
    out = score([items]).iloc[0]
    assert pd.isna(out["phq9_total"]) and pd.isna(out["phq9_band"]) and pd.isna(out["case_phq9"])


def test_measure_not_used_at_the_site_is_missing_even_if_items_are_present():
    # site B did not use GAD-7: its items are ignored
    rows = [{"site": "B", **items_for("gad7", 12)}]
    out = score(rows, sites={"A": ALL, "B": ("phq9",)}).iloc[0]
    assert pd.isna(out["gad7_total"]) and pd.isna(out["case_gad7"])


@pytest.mark.parametrize("measure,total,band,case", [
    ("phq9", 4, "none", False), ("phq9", 5, "mild", False), ("phq9", 9, "mild", False),
    ("phq9", 10, "moderate", True), ("phq9", 15, "moderately_severe", True), ("phq9", 20, "severe", True),
    ("gad7", 9, "mild", False), ("gad7", 10, "moderate", True), ("gad7", 15, "severe", True),
    ("pcl5", 30, "no_ptsd", False), ("pcl5", 31, "ptsd", True),
    ("audit", 7, "low_risk", False), ("audit", 8, "hazardous", True), ("audit", 16, "harmful", True),
    ("audit", 20, "possible_dependence", True),
    ("wsas", 10, "subclinical", False), ("wsas", 11, "significant", True), ("wsas", 21, "moderately_severe_plus", True),
])
def test_band_boundaries_and_caseness_follow_the_instruments(measure, total, band, case):
    out = score([items_for(measure, total)]).iloc[0]
    assert out[f"{measure}_total"] == total
    assert out[f"{measure}_band"] == band
    assert bool(out[f"case_{measure}"]) is case


def test_bands_are_ordered_categoricals_of_band_ids():
    out = score([items_for("phq9", 3)])
    assert out["phq9_band"].cat.ordered
    assert list(out["phq9_band"].cat.categories) == ["none", "mild", "moderate", "moderately_severe", "severe"]


def itq(p=(0,) * 6, pfi=(0,) * 3, c=(0,) * 6, cfi=(0,) * 3) -> dict:
    out = {f"itq_p{i + 1}": v for i, v in enumerate(p)}
    out.update({f"itq_pfi{i + 1}": v for i, v in enumerate(pfi)})
    out.update({f"itq_c{i + 1}": v for i, v in enumerate(c)})
    out.update({f"itq_cfi{i + 1}": v for i, v in enumerate(cfi)})
    return out


PTSD = dict(p=(2, 0, 2, 0, 3, 0), pfi=(2, 0, 0))  # one endorsed (≥ 2) item in Re, Av, Th + impairment
DSO = dict(c=(2, 0, 0, 2, 0, 4), cfi=(0, 2, 0))   # one endorsed item in AD, NSC, DR + impairment


@pytest.mark.parametrize("pattern,dx,case,cptsd", [
    (itq(), "none", False, False),
    (itq(**PTSD), "ptsd", True, False),
    (itq(**PTSD, **DSO), "cptsd", True, True),
    (itq(p=(1, 1, 2, 0, 3, 0), pfi=(2, 0, 0), **DSO), "none", False, False),  # Re items at 1: not endorsed
    (itq(p=(2, 0, 2, 0, 3, 0), pfi=(1, 1, 1), **DSO), "none", False, False),  # no PTSD impairment item
    (itq(**PTSD, c=(2, 0, 0, 2, 0, 4), cfi=(0, 0, 0)), "ptsd", True, False),  # DSO without impairment
])
def test_itq_diagnosis_follows_the_cloitre_algorithm(pattern, dx, case, cptsd):
    out = score([pattern]).iloc[0]
    assert out["itq_dx"] == dx
    assert bool(out["case_itq"]) is case
    assert bool(out["itq_cptsd"]) is cptsd


def test_itq_ptsd_score_is_the_sum_of_the_six_symptom_items():
    out = score([itq(p=(2, 0, 2, 0, 3, 4), pfi=(4, 4, 4), c=(4,) * 6)]).iloc[0]
    assert out["itq_ptsd_score"] == 11  # 2 + 0 + 2 + 0 + 3 + 4; impairment and DSO items not summed


def test_itq_ptsd_not_met_is_none_whatever_the_dso_block():
    # Re cluster answered 0, 0 -> PTSD criteria fail; DSO items all missing -> still "none" (spec B §7.6)
    pattern = itq(p=(0, 0, 2, 0, 3, 0), pfi=(2, 0, 0), c=(None,) * 6, cfi=(None,) * 3)
    out = score([pattern]).iloc[0]
    assert out["itq_dx"] == "none" and bool(out["case_itq"]) is False
    assert pd.isna(out["itq_cptsd"])  # CPTSD status itself is unknown (Table 9 counts it missing)


def test_itq_ptsd_met_with_missing_dso_is_a_case_of_unknown_type():
    pattern = itq(**PTSD, c=(None,) * 6, cfi=(None,) * 3)
    out = score([pattern]).iloc[0]
    assert bool(out["case_itq"]) is True
    assert pd.isna(out["itq_dx"]) and pd.isna(out["itq_cptsd"])


def test_itq_criteria_decided_by_answered_items_despite_gaps():
    # P2 missing but P1 endorsed: re-experiencing met; everything else met -> PTSD
    pattern = itq(p=(2, None, 2, 0, 3, 0), pfi=(2, None, None))
    out = score([pattern]).iloc[0]
    assert out["itq_dx"] == "ptsd"
    assert pd.isna(out["itq_ptsd_score"])  # the total still needs every item


def test_case_ptsd_uses_the_measure_the_site_used():
    rows = [{"site": "A", **items_for("pcl5", 40)}, {"site": "B", **itq(**PTSD)}, {"site": "B", **itq()}]
    out = score_screening(frame(rows), sites={"A": ("pcl5",), "B": ("itq",)})
    assert out["case_ptsd"].tolist() == [True, True, False]


@pytest.mark.parametrize("totals,expected", [
    ({"phq9": 12, "wsas": 25}, "high"),            # grades 1 (moderate) and 2 (WSAS ≥ 21) -> high
    ({"phq9": 17, "gad7": 12}, "moderate"),        # moderately severe PHQ-9 is still grade 1
    ({"phq9": 20}, "high"),                        # severe PHQ-9, others missing -> high
    ({"gad7": 3, "audit": 7}, "low"),              # all available measures in their mildest band
    ({"audit": 16}, "high"),                       # harmful drinking is grade 2
    ({"pcl5": 31, "phq9": 2}, "high"),             # PTSD present is grade 2
    ({}, None),                                    # every measure missing -> missing
])
def test_overall_severity_is_the_highest_grade_over_available_measures(totals, expected):
    row: dict = {}
    for m in ("phq9", "gad7", "pcl5", "audit", "wsas"):
        row.update(items_for(m, totals.get(m)))
    out = score([row]).iloc[0]
    assert (pd.isna(out["overall_severity"]) if expected is None else out["overall_severity"] == expected)


def test_overall_severity_counts_itq_case_as_high():
    out = score([itq(**PTSD)]).iloc[0]
    assert out["overall_severity"] == "high"


def test_n_domains_needs_every_measure_the_site_administered():
    # site uses PHQ-9, GAD-7, WSAS.  r1: 12 (case), 10 (case), 11 (case) -> 3 domains.
    # r2: 12, 3, WSAS missing -> missing (complete-case, Table 55), but overall severity = moderate.
    # r3: 3, 3, 3 -> 0 domains.
    sites = {"A": ("phq9", "gad7", "wsas")}
    rows = [{**items_for("phq9", 12), **items_for("gad7", 10), **items_for("wsas", 11)},
            {**items_for("phq9", 12), **items_for("gad7", 3), **items_for("wsas", None)},
            {**items_for("phq9", 3), **items_for("gad7", 3), **items_for("wsas", 3)}]
    out = score_screening(frame(rows), sites=sites)
    assert out["n_domains_case"].tolist()[0] == 3 and out["n_domains_case"].tolist()[2] == 0
    assert pd.isna(out["n_domains_case"].iloc[1])
    assert out["overall_severity"].iloc[1] == "moderate"


def test_n_domains_counts_ptsd_once_and_ignores_measures_the_site_did_not_use():
    # site B: PHQ-9, PCL-5, AUDIT (no GAD-7, no WSAS): PHQ 10 case, PCL 31 case, AUDIT 8 case -> 3
    rows = [{"site": "B", **items_for("phq9", 10), **items_for("pcl5", 31), **items_for("audit", 8)}]
    out = score_screening(frame(rows), sites={"B": ("phq9", "pcl5", "audit")})
    assert out["n_domains_case"].iloc[0] == 3


def test_ethnicity_group_and_minority_flag():
    rows = [{"ethnicity": "white_irish"}, {"ethnicity": "indian"}, {"ethnicity": "other"}, {"ethnicity": None}]
    out = score(rows)
    assert out["ethnicity_group"].astype(object).tolist()[:3] == ["other_white", "asian", "other"]
    assert out["ethnic_minority"].tolist()[:3] == [False, True, True]
    assert pd.isna(out["ethnicity_group"].iloc[3]) and pd.isna(out["ethnic_minority"].iloc[3])


def test_disability_missing_counts_as_no_only_where_most_answers_are_missing():
    # site A: 1 of 3 missing (33%) -> stays missing; site B: 2 of 3 missing (67% > 50%) -> "no"
    rows = ([{"site": "A", "disability": d} for d in ("yes", "no", None)]
            + [{"site": "B", "disability": d} for d in ("yes", None, None)])
    out = score(rows)
    assert out["disability_analysed"].tolist()[:2] == [True, False]
    assert pd.isna(out["disability_analysed"].iloc[2])
    assert out["disability_analysed"].tolist()[3:] == [True, False, False]


def test_icu_and_clinical_are_defined_for_nhs_staff_only():
    rows = [{"sector": "nhs", "work_setting": "nightingale", "clinical_role": "clinical"},
            {"sector": "nhs", "work_setting": "a_and_e", "clinical_role": "non_clinical"},
            {"sector": "social_care", "work_setting": "icu_critical_care", "clinical_role": "clinical"},
            {"sector": "nhs", "work_setting": None, "clinical_role": None}]
    out = score(rows)
    assert out["nhs_icu"].tolist()[:2] == [True, False] and out["nhs_clinical"].tolist()[:2] == [True, False]
    assert out["nhs_icu"].iloc[2:].isna().all() and out["nhs_clinical"].iloc[2:].isna().all()


def test_scoring_returns_a_new_frame_and_leaves_the_input_untouched():
    df = frame([items_for("phq9", 12), items_for("phq9", 3)])
    df.index = [10, 20]
    before = df.copy()
    out = score_screening(df, sites={"A": ALL})
    pd.testing.assert_frame_equal(df, before)
    assert list(out.index) == [10, 20] and out["record_id"].tolist() == ["r1", "r2"]


def test_absent_optional_columns_give_missing_covariates():
    df = frame([items_for("phq9", 12)]).drop(columns=["work_setting", "clinical_role"])
    out = score_screening(df, sites={"A": ALL})
    assert out["nhs_icu"].isna().all() and out["nhs_clinical"].isna().all()


def test_eighty_thousand_records_score_in_well_under_a_second():
    rng = np.random.default_rng(0)
    n = 80_000
    data = {"site": rng.choice(["A", "B", "C", "D"], n), "ethnicity": rng.choice(["white_british", "indian"], n),
            "disability": rng.choice(["yes", "no", None], n), "sector": rng.choice(["nhs", "other"], n),
            "work_setting": rng.choice(["icu_critical_care", "other_ward"], n)}
    for m in MEASURES.values():
        for item in m.items:
            data[item] = rng.integers(m.item_min, m.item_max + 1, n)
    big = typed(pd.DataFrame(data))
    start = time.perf_counter()
    out = score_screening(big, sites={s: ALL for s in "ABCD"})
    assert time.perf_counter() - start < 1.0
    assert len(out) == n
