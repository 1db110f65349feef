"""The synthetic screening records reproduce the calibration targets of spec B.

Every statistic is recomputed here from the CSV text with pandas (scoring,
bands, the ITQ algorithm, overall severity and domain counts written out
independently of the generator) and compared with each row of
``data/reference/published_figures/screening.csv`` within its precision.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from scipy import stats

from hubcase.errors import ProblemList
from hubcase.schema.core import parse_table
from hubcase.schema.tables import SCREENING
from hubcase.synth.build import frame_to_csv
from hubcase.synth.screening import generate_screening, select_followup_respondents
from hubcase.synth.screening_figures import calibration_csv
from hubcase.synth.sites import site_profiles

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "data" / "reference" / "published_figures" / "screening.csv"
SEED = 2024

ITEMS = {  # measure -> (items summed into the total, item maximum)
    "phq9": ([f"phq9_{i:02d}" for i in range(1, 10)], 3),
    "gad7": ([f"gad7_{i:02d}" for i in range(1, 8)], 3),
    "pcl5": ([f"pcl5_{i:02d}" for i in range(1, 21)], 4),
    "itq": ([f"itq_p{i}" for i in range(1, 7)], 4),
    "audit": ([f"audit_{i:02d}" for i in range(1, 11)], 4),
    "wsas": ([f"wsas_{i:02d}" for i in range(1, 6)], 8),
}
BANDS = {  # measure -> [(band, lowest total)], spec B §1.2; grade per Table 29
    "phq9": [("none", 0), ("mild", 5), ("moderate", 10), ("moderately_severe", 15), ("severe", 20)],
    "gad7": [("none", 0), ("mild", 5), ("moderate", 10), ("severe", 15)],
    "audit": [("low_risk", 0), ("hazardous", 8), ("harmful", 16), ("possible_dependence", 20)],
    "wsas": [("subclinical", 0), ("significant", 11), ("moderately_severe_plus", 21)],
}
GRADE = {"none": 0, "mild": 0, "moderate": 1, "moderately_severe": 1, "severe": 2, "low_risk": 0,
         "hazardous": 1, "harmful": 2, "possible_dependence": 2, "subclinical": 0, "significant": 1,
         "moderately_severe_plus": 2}
MEASURES_AT = {"A": ("phq9", "gad7", "pcl5", "audit", "wsas"), "B": ("phq9", "gad7", "pcl5", "wsas"),
               "C": ("phq9", "gad7", "itq", "audit", "wsas"), "D": ("phq9", "gad7", "itq", "audit", "wsas")}
GROUP = {"white_british": "white_british", "white_irish": "other_white", "other_white": "other_white",
         "black_african": "black", "black_caribbean": "black", "other_black": "black", "chinese": "asian",
         "indian": "asian", "bangladeshi": "asian", "pakistani": "asian", "other_asian": "asian",
         "white_asian": "mixed", "white_black_caribbean": "mixed", "white_black_african": "mixed",
         "other_mixed": "mixed", "other": "other"}


def _read(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False)


def _endorsed(frame: pd.DataFrame, cols: list[str]) -> pd.Series:
    """At least one of ``cols`` scores ≥ 2 (NaN if all are blank)."""
    x = frame[cols]
    return (x >= 2).any(axis=1).where(x.notna().any(axis=1))


def itq_diagnosis(frame: pd.DataFrame) -> pd.Series:
    """Cloitre et al. 2018: 'ptsd', 'cptsd', 'none', or NaN when ITQ is absent."""
    e = lambda *names: _endorsed(frame, [f"itq_{n}" for n in names]).fillna(False).astype(bool)  # noqa: E731
    ptsd = e("p1", "p2") & e("p3", "p4") & e("p5", "p6") & e("pfi1", "pfi2", "pfi3")
    dso = e("c1", "c2") & e("c3", "c4") & e("c5", "c6") & e("cfi1", "cfi2", "cfi3")
    dx = pd.Series(np.where(ptsd & dso, "cptsd", np.where(ptsd, "ptsd", "none")), index=frame.index, dtype=object)
    return dx.where(frame[ITEMS["itq"][0]].notna().all(axis=1))


def score(records: pd.DataFrame) -> pd.DataFrame:
    """Typed records plus totals, bands, caseness, overall severity and domain counts."""
    df = records.copy()
    item_cols = [c for c in df.columns if c.split("_")[0] in ("phq9", "gad7", "pcl5", "itq", "audit", "wsas")]
    df[item_cols + ["age"]] = df[item_cols + ["age"]].apply(pd.to_numeric, errors="coerce")
    grade = pd.DataFrame(index=df.index)
    case = pd.DataFrame(index=df.index)
    for m, (cols, _) in ITEMS.items():
        df[f"{m}_total"] = df[cols].sum(axis=1, min_count=len(cols)).where(df[cols].notna().all(axis=1))
        if m in BANDS:
            edges = [lo for _, lo in BANDS[m]] + [10_000]
            df[f"{m}_band"] = pd.cut(df[f"{m}_total"], edges, right=False, labels=[b for b, _ in BANDS[m]])
            grade[m] = df[f"{m}_band"].map(GRADE).astype(float)
            case[m] = (grade[m] >= 1).where(grade[m].notna())
    df["itq_dx"] = itq_diagnosis(df)
    df["itq_cptsd_known"] = df[[f"itq_c{i}" for i in range(1, 7)]].notna().all(axis=1) | (df["itq_dx"] != "none")
    df["pcl5_band"] = np.where(df["pcl5_total"] >= 31, "ptsd", "no_ptsd")
    df.loc[df["pcl5_total"].isna(), "pcl5_band"] = np.nan
    case["ptsd"] = (df["pcl5_total"] >= 31).where(df["pcl5_total"].notna())
    itq_case = df["itq_dx"].isin(["ptsd", "cptsd"]).where(df["itq_dx"].notna())
    case["ptsd"] = case["ptsd"].fillna(itq_case)
    grade["ptsd"] = 2.0 * case["ptsd"].astype(float)
    for m in ("phq9", "gad7", "audit", "wsas"):
        df[f"{m}_caseness"] = case[m]
    df["pcl5_caseness"], df["itq_caseness"] = case["ptsd"].where(df["pcl5_total"].notna()), itq_case
    df["overall_severity"] = grade.max(axis=1).map({0: "low", 1: "moderate", 2: "high"})
    domains = {"A": ["phq9", "gad7", "ptsd", "audit", "wsas"], "B": ["phq9", "gad7", "ptsd", "wsas"]}
    domains["C"] = domains["D"] = domains["A"]
    df["domains"] = np.nan
    for site, cols in domains.items():
        at = df["site"] == site
        complete = case.loc[at, cols].notna().all(axis=1)
        df.loc[at & complete.reindex(df.index, fill_value=False), "domains"] = \
            case.loc[at, cols].astype(float).sum(axis=1)[complete]
    return df


@pytest.fixture(scope="module")
def default_study():
    sites = site_profiles()
    screening = generate_screening(sites, seed=SEED)
    respondents = select_followup_respondents(screening, sites, seed=SEED)
    text = frame_to_csv(screening)
    return sites, text, score(_read(text)), respondents


def _statistic(df: pd.DataFrame, respondents: pd.DataFrame, table: str, row: str, column: str, stat: str):
    at = df if column == "Total" else df[df["site"] == column]
    if table == "T10" and row not in ("consent_contact", "respondents"):
        at = at[at["record_id"].isin(respondents["record_id"])]
    if table == "T10" and row == "consent_contact":
        return int((at["consent_contact"] == "true").sum())
    if table == "T10" and row == "respondents":
        return int(respondents["site"].isin(at["site"].unique()).sum())
    if row == "age":
        return at["age"].dropna().mean() if stat == "mean" else at["age"].dropna().std()
    if row == "age_missing":
        return int(at["age"].isna().sum())
    if row == "nhs_icu":
        return int(((at["sector"] == "nhs") & at["work_setting"].isin(["icu_critical_care", "nightingale"])).sum())
    if stat in ("mean", "sd"):
        values = at[row].dropna()
        return values.mean() if stat == "mean" else values.std()
    if table == "T9" and row == "itq_cptsd" and stat == "n_valid":
        return int((at["itq_dx"].notna() & at["itq_cptsd_known"]).sum())
    if stat == "n_valid":
        name = {"T29": "overall_severity", "T55": "domains"}.get(table, row)
        if name in ITEMS:
            name = f"{name}_total"
        col = at[name]
        return int((col.notna() & (col.astype(str) != "")).sum())
    return _count(at, table, row)


def _count(at: pd.DataFrame, table: str, row: str) -> int:
    for field in ("overall_severity", "prepandemic_concern", "sexual_orientation", "ethnicity", "gender",
                  "disability", "sector", "domains"):
        if row.startswith(field + "_"):
            value = row[len(field) + 1:]
            col = at[field]
            if field == "domains":
                return int((col == int(value)).sum())
            if value == "missing":
                return int((col.isna() | (col.astype(str) == "")).sum())
            if field == "ethnicity" and table == "T6":
                col = col.map(GROUP)
            return int((col == value).sum())
    if row.endswith("_caseness"):
        return int((at[row] == True).sum())  # noqa: E712
    if row in ("itq_ptsd", "itq_cptsd"):
        return int((at["itq_dx"] == row[4:]).sum())
    for m in ITEMS:
        if row.startswith(m + "_"):
            return int((at[f"{m}_band"].astype(str) == row[len(m) + 1:]).sum())
    return int((at[row] == "true").sum())  # a COVID-19 impact item


def _mismatches(default_study, table: str) -> list[str]:
    _, _, df, respondents = default_study
    ref = pd.read_csv(REFERENCE, dtype={"column": str})
    out = []
    for r in ref[ref["table"] == table].itertuples():
        got = _statistic(df, respondents, r.table, r.row, r.column, r.statistic)
        if not abs(float(got) - float(r.value)) <= float(r.precision) + 1e-9:
            out.append(f"{r.table} {r.row} {r.column} {r.statistic}: got {got}, want {r.value} ± {r.precision}")
    return out


@pytest.mark.parametrize("table", ["T6", "T7", "T8", "T9", "T29", "T55", "T10"])
def test_default_study_reproduces_every_calibration_row(default_study, table):
    assert _mismatches(default_study, table) == []


def test_reference_csv_matches_the_targets_module():
    assert REFERENCE.read_text(encoding="utf-8") == calibration_csv()


def test_reference_csv_covers_every_table():
    ref = pd.read_csv(REFERENCE, dtype={"column": str})
    assert set(ref["table"]) == {"T6", "T7", "T8", "T9", "T29", "T55", "T10"}
    assert not ref.duplicated(["table", "row", "column", "statistic"]).any()


def test_csv_parses_against_the_screening_schema_without_problems(default_study):
    _, text, _, _ = default_study
    raw = _read(text)
    assert list(raw.columns) == list(SCREENING.names)
    problems = ProblemList()
    parse_table(SCREENING, raw.set_index(raw.index + 2), "screening.csv", problems)
    assert [str(p) for p in problems.items] == []


def test_items_stay_in_range_and_audit_9_10_score_0_2_4(default_study):
    _, _, df, _ = default_study
    itq = [f"itq_{g}{i}" for g, k in (("p", 6), ("pfi", 3), ("c", 6), ("cfi", 3)) for i in range(1, k + 1)]
    every = {m: cols for m, (cols, _) in ITEMS.items()} | {"itq": itq}
    for m, cols in every.items():
        values = df[cols].stack().dropna()
        assert values.between(0, ITEMS[m][1]).all() and (values == values.round()).all(), m
    late = df[["audit_09", "audit_10"]].stack().dropna()
    assert set(late.unique()) == {0, 2, 4}


def test_measures_are_blank_where_table_5_says_they_were_not_used(default_study):
    _, _, df, _ = default_study
    for site, used in MEASURES_AT.items():
        at = df[df["site"] == site]
        for m, (cols, _) in ITEMS.items():
            present = at[cols].notna().any(axis=1).sum()
            assert (present > 0) == (m in used), (site, m, present)


def test_low_overall_severity_means_no_caseness_domain(default_study):
    _, _, df, _ = default_study
    complete = df[df["domains"].notna()]
    assert ((complete["overall_severity"] == "low") == (complete["domains"] == 0)).all()


def test_itq_cases_score_at_least_six_and_blank_dso_only_without_ptsd(default_study):
    _, _, df, _ = default_study
    itq = df[df["itq_dx"].notna()]
    assert (itq.loc[itq["itq_dx"] != "none", "itq_total"] >= 6).all()
    blank_dso = itq[itq[[f"itq_c{i}" for i in range(1, 7)]].isna().all(axis=1)]
    assert len(blank_dso) == 3 + 12 and (blank_dso["itq_dx"] == "none").all()


def test_site_b_missing_blocks_are_nested(default_study):
    _, _, df, _ = default_study
    b = df[df["site"] == "B"]
    no_scales = b[[f"{m}_total" for m in MEASURES_AT["B"]]].isna().all(axis=1)
    covid_missing = b["covid_ill_home"] == ""
    assert no_scales.sum() == 41 and covid_missing.sum() == 5
    assert (b.loc[covid_missing, "prepandemic_concern"] == "").all()


def test_respondents_consented_and_are_unique(default_study):
    sites, _, df, respondents = default_study
    consent = dict(zip(df["record_id"], df["consent_contact"]))
    assert respondents["record_id"].is_unique
    assert respondents["record_id"].map(consent).eq("true").all()
    assert respondents.groupby("site").size().to_dict() == {s.id: s.n_followup for s in sites}


def test_clinical_role_only_for_nhs_staff_at_a_c_d(default_study):
    _, _, df, _ = default_study
    has = df["clinical_role"] != ""
    assert (df.loc[has, "sector"] == "nhs").all()
    assert set(df.loc[has, "site"]) == {"A", "C", "D"}
    share = (df.loc[has, "clinical_role"] == "clinical").mean()
    assert 0.65 < share < 0.75


def test_same_seed_gives_identical_csv_and_another_seed_differs(default_study):
    sites, text, _, respondents = default_study
    again = generate_screening(sites, seed=SEED)
    assert frame_to_csv(again) == text
    pd.testing.assert_frame_equal(select_followup_respondents(again, sites, seed=SEED), respondents)
    assert frame_to_csv(generate_screening(sites, seed=SEED + 1)) != text


def test_six_sites_of_300_have_the_right_sizes_and_no_blank_required_fields():
    sites = site_profiles(6, 300)
    frame = generate_screening(sites, seed=7)
    assert frame.groupby("site").size().to_dict() == {s.id: 300 for s in sites}
    for col in ("record_id", "site", "screen_date", "consent_contact"):
        assert frame[col].notna().all() and (frame[col].astype(str) != "").all(), col
    assert frame["record_id"].is_unique
    respondents = select_followup_respondents(frame, sites, seed=7)
    assert respondents.groupby("site").size().to_dict() == {s.id: s.n_followup for s in sites}
    problems = ProblemList()
    raw = _read(frame_to_csv(frame))
    parse_table(SCREENING, raw.set_index(raw.index + 2), "screening.csv", problems)
    assert [str(p) for p in problems.items] == []


@pytest.fixture(scope="module")
def model_frame(default_study):
    _, _, df, _ = default_study
    m = df.copy()
    m["man"] = (m["gender"] == "man").astype(float).where(m["gender"].isin(["man", "woman"]))
    m["minority"] = m["ethnicity"].map(GROUP).isin(["black", "asian", "mixed", "other"]).astype(float)
    m.loc[m["ethnicity"] == "", "minority"] = np.nan
    m["ppc_yes"] = (m["prepandemic_concern"] == "yes").astype(float)
    m.loc[~m["prepandemic_concern"].isin(["yes", "no"]), "ppc_yes"] = np.nan
    m["disabled"] = (m["disability"] == "yes").astype(float)
    m["icu"] = m["work_setting"].isin(["icu_critical_care", "nightingale"]).astype(float).where(m["sector"] == "nhs")
    m["new_tasks"] = (m["new_tasks"] == "true").astype(float).where(m["new_tasks"] != "")
    m["financial"] = (m["financial_loss"] == "true").astype(float).where(m["financial_loss"] != "")
    for c in ("audit_caseness", "phq9_caseness", "gad7_caseness", "pcl5_caseness", "wsas_caseness"):
        m[c] = m[c].astype(float)
    return m


def _odds_ratio(frame: pd.DataFrame, outcome: str, predictor: str) -> float:
    d = frame[[outcome, predictor, "site"]].dropna()
    fit = smf.logit(f"{outcome} ~ {predictor} + C(site)", d).fit(disp=0)
    return float(np.exp(fit.params[predictor]))


@pytest.mark.parametrize(("outcome", "predictor", "low", "high"), [
    ("audit_caseness", "man", 1.5, None),
    ("audit_caseness", "minority", None, 0.6),
    ("audit_caseness", "disabled", None, 1.0),
    ("phq9_caseness", "ppc_yes", 1.5, None),
    ("phq9_caseness", "financial", 1.1, None),
    ("wsas_caseness", "disabled", 1.2, None),
    ("pcl5_caseness", "icu", 1.3, None),
    ("gad7_caseness", "age", None, 1.0),
])
def test_caseness_associations_point_the_published_way(model_frame, outcome, predictor, low, high):
    odds = _odds_ratio(model_frame, outcome, predictor)
    assert low is None or odds > low
    assert high is None or odds < high


def test_new_tasks_raise_phq9_caseness_most_at_site_d(model_frame):
    d = model_frame[["phq9_caseness", "new_tasks", "site"]].dropna()
    additive = smf.logit("phq9_caseness ~ new_tasks + C(site)", d).fit(disp=0)
    interaction = smf.logit("phq9_caseness ~ new_tasks * C(site)", d).fit(disp=0)
    p_value = stats.chi2.sf(2 * (interaction.llf - additive.llf), interaction.df_model - additive.df_model)
    at_d = smf.logit("phq9_caseness ~ new_tasks", d[d["site"] == "D"]).fit(disp=0)
    assert p_value < 0.001
    assert np.exp(at_d.params["new_tasks"]) > 1.5
