"""Tables 10–13 (follow-up questionnaire) on tiny hand-made studies; expected values worked by hand."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from helpers_study import make_study
from scipy import stats

from analyses import followup as fu
from hubcase.errors import AnalysisError
from hubcase.schema import CONTRACT
from helpers_published import assert_reproduces, load_synthetic, published_rows

FOLLOWUP_ON = {"screening": True, "followup": True}


def table(table_id: str, rows: list[dict]) -> pd.DataFrame:
    """Rows with every required column of the contract table (blank where not given)."""
    frame = pd.DataFrame(rows)
    for col in CONTRACT.table(table_id).columns:
        if col.required and col.name not in frame.columns:
            frame[col.name] = None
    return frame


def phq9(total: int) -> dict:
    """PHQ-9 items summing to ``total`` (items filled 3, 3, ... then the remainder)."""
    items, left = {}, total
    for i in range(1, 10):
        items[f"phq9_{i:02d}"] = min(3, left)
        left -= items[f"phq9_{i:02d}"]
    return items


def build(tmp_path, screening: list[dict], followup: list[dict], sites=None, **config):
    sites = sites or [{"id": "A", "measures": ["phq9"], "strands": FOLLOWUP_ON}]
    return make_study(tmp_path, screening=table("screening", screening), sites=sites, config=config or None,
                      followup=table("followup", followup), service_use=table("service_use", []))


def stats_of(data: pd.DataFrame, row: str, column: str = "Total") -> pd.Series:
    """statistic -> value of one (row, column) of a long tidy data frame."""
    part = data[(data["row"] == row) & (data["column"] == column)]
    return part.set_index("statistic")["value"]


def cell(result, label: str, column: str, occurrence: int = 0) -> str:
    rows = result.display[result.display[""] == label]
    return rows[column].iloc[occurrence]


def two_site_study(tmp_path):
    scr = [{"record_id": f"r{i}", "site": s, "age": a, "gender": g}
           for i, (s, a, g) in enumerate([("A", 30, "woman"), ("A", 40, "woman"), ("A", 50, "woman"),
                                          ("A", None, None), ("B", 60, "man")])]
    fol = [{"record_id": f"r{i}", "site": r["site"]} for i, r in enumerate(scr)]
    sites = [{"id": "A", "measures": ["phq9"], "strands": FOLLOWUP_ON},
             {"id": "B", "measures": ["phq9"], "strands": FOLLOWUP_ON},
             {"id": "C", "measures": ["phq9"], "strands": {"screening": True}}]
    return build(tmp_path, scr, fol, sites=sites)


# ---------------------------------------------------------------- Table 10

def test_t10_percentages_use_the_full_site_n(tmp_path):
    # Site A: 4 respondents, 3 women and 1 missing -> 3/4 = 75.0%, 1/4 = 25% missing
    res = fu.respondent_demographics_table(study=two_site_study(tmp_path))
    assert cell(res, "Woman", "Site A (n = 4)") == "3 (75.0)"
    assert cell(res, "Missing", "Site A (n = 4)", occurrence=0) == "25% missing"


def test_t10_age_is_mean_sd_of_linked_screening_ages(tmp_path):
    # Site A ages 30, 40, 50 (one missing): mean 40, SD sqrt((100 + 0 + 100) / 2) = 10
    res = fu.respondent_demographics_table(study=two_site_study(tmp_path))
    assert cell(res, "Age (years), mean (SD)", "Site A (n = 4)") == "40.0 (10.0)"
    assert cell(res, "Age missing", "Site A (n = 4)") == "25% missing"


def test_t10_total_column_pools_sites_with_followup(tmp_path):
    # 3 women of 5 respondents in A and B
    res = fu.respondent_demographics_table(study=two_site_study(tmp_path))
    assert cell(res, "Woman", "Total (N = 5)") == "3 (60.0)"


def test_site_without_followup_strand_has_no_column_and_a_note(tmp_path):
    res = fu.respondent_demographics_table(study=two_site_study(tmp_path))
    assert list(res.display.columns) == ["", "Site A (n = 4)", "Site B (n = 1)", "Total (N = 5)"]
    assert any("Site C" in n and "not collected" in n for n in res.notes)


def test_site_without_followup_requested_alone_shows_dashes_beside_the_total(tmp_path):
    res = fu.hub_contact_table(study=two_site_study(tmp_path), site="C")
    assert list(res.display.columns) == ["", "Site C (n = 0)", "Total (N = 5)"]
    assert cell(res, "Yes", "Site C (n = 0)") == "–"
    assert any("Site C" in n and "not collected" in n for n in res.notes)


def test_unknown_site_is_an_analysis_error_naming_the_declared_sites(tmp_path):
    with pytest.raises(AnalysisError, match=r"'Z' is not declared.*A, B, C"):
        fu.satisfaction_table(study=two_site_study(tmp_path), site="Z")


# ---------------------------------------------------------------- Table 11

def support_study(tmp_path):
    # mh_support_any: yes x4, no x1.  Among the 4 yes: provided by Hub yes x2, no x1, blank x1.
    # The "no" respondent also (wrongly) answered mh_support_hub = yes: ignored by skip logic.
    rows = [("yes", "yes"), ("yes", "yes"), ("yes", "no"), ("yes", None), ("no", "yes")]
    scr = [{"record_id": f"r{i}", "site": "A"} for i in range(5)]
    fol = [{"record_id": f"r{i}", "site": "A", "mh_support_any": a, "mh_support_hub": h,
            "hub_contact_any": "yes" if i < 2 else "no", "hub_contact_phone": "yes" if i < 2 else None,
            "waitlist_any": "yes" if i == 0 else "no", "waitlist_hub": "yes" if i == 0 else None}
           for i, (a, h) in enumerate(rows)]
    return build(tmp_path, scr, fol)


def block(result, heading: str) -> pd.DataFrame:
    """Display rows under the first heading row labelled ``heading``, up to the next heading."""
    d = result.display
    start = d.index[d[""] == heading][0]
    rows = []
    for i in range(start + 1, len(d)):
        if (d.iloc[i, 1:] == "").all():
            break
        rows.append(d.iloc[i])
    return pd.DataFrame(rows).set_index("")


def test_t11_provided_by_hub_uses_via_any_route_yes_as_denominator(tmp_path):
    res = fu.hub_contact_table(study=support_study(tmp_path))
    hub = block(res, "Provided by the Hub")["Site A (n = 5)"]
    # 2/4 = 50.0%, 1/4 = 25.0%, 1 blank of 4 = 25% missing
    assert hub.to_dict() == {"Yes": "2 (50.0)", "No": "1 (25.0)", "Missing": "25% missing"}


def test_t11_shows_the_denominator_of_each_gated_block(tmp_path):
    res = fu.hub_contact_table(study=support_study(tmp_path))
    rows = res.display[res.display[""].str.startswith("Denominator")]["Site A (n = 5)"]
    assert rows.tolist() == ["4", "1"]  # support via any route yes = 4; waiting list yes = 1


def test_t11_answers_outside_the_skip_logic_are_ignored_and_noted(tmp_path):
    res = fu.hub_contact_table(study=support_study(tmp_path))
    assert any(n.startswith("1 respondents answered items under mh_support_any") for n in res.notes)


def test_t11_waiting_list_items_use_the_waiting_list_denominator(tmp_path):
    res = fu.hub_contact_table(study=support_study(tmp_path))
    wait = res.display.index[res.display[""] == "Waiting list for mental health support"][0]
    hub = res.display.iloc[wait:]
    first_yes = hub[hub[""] == "Provided by the Hub"].index[0] + 1
    assert res.display.loc[first_yes, "Site A (n = 5)"] == "1 (100.0)"  # 1 of the 1 on a waiting list


def test_t11_telephone_percentages_use_the_full_n_as_the_report_does(tmp_path):
    res = fu.hub_contact_table(study=support_study(tmp_path))
    phone = block(res, "Telephone")["Site A (n = 5)"]
    # asked of 2 (contact yes); report convention: 2/5 = 40.0%, 3/5 = 60% missing
    assert phone["Yes"] == "2 (40.0)" and phone["Missing"] == "60% missing"


# ---------------------------------------------------------------- Table 12

def test_t12_helpfulness_median_iqr_and_range(tmp_path):
    # values 0, 50, 60, 100 (one blank): type-7 quartiles q1 = 0 + 0.75*50 = 37.5, median 55, q3 = 60 + 0.25*40 = 70
    scr = [{"record_id": f"r{i}", "site": "A"} for i in range(5)]
    fol = [{"record_id": f"r{i}", "site": "A", "hub_helpfulness": v} for i, v in enumerate([0, 50, 60, 100, None])]
    res = fu.satisfaction_table(study=build(tmp_path, scr, fol))
    col = "Site A (n = 5)"
    assert (cell(res, "Median (IQR)", col), cell(res, "Min, max", col), cell(res, "n", col)) == (
        "55 (37.5–70)", "0, 100", "4")


def test_t12_referral_rows_carry_the_questionnaire_labels(tmp_path):
    scr = [{"record_id": f"r{i}", "site": "A"} for i in range(4)]
    fol = [{"record_id": f"r{i}", "site": "A", "hub_referral": v} for i, v in enumerate([1, 1, 4, None])]
    res = fu.satisfaction_table(study=build(tmp_path, scr, fol))
    assert cell(res, fu.REFERRAL_LABELS[1], "Site A (n = 4)") == "2 (50.0)"
    assert cell(res, fu.REFERRAL_LABELS[4], "Site A (n = 4)") == "1 (25.0)"


# ---------------------------------------------------------------- Table 13

def access_study(tmp_path, totals, accessed, sites_of):
    sites = [{"id": s, "measures": ["phq9"], "strands": FOLLOWUP_ON} for s in sorted(set(sites_of))]
    scr = [{"record_id": f"r{i}", "site": s, **phq9(t)} for i, (t, s) in enumerate(zip(totals, sites_of))]
    fol = [{"record_id": f"r{i}", "site": s, "accessed_due_to_hub": a}
           for i, (a, s) in enumerate(zip(accessed, sites_of))]
    return build(tmp_path, scr, fol, sites=sites)


def test_t13_odds_ratio_matches_an_independent_glm_and_ci_is_the_profile_likelihood_interval(tmp_path):
    totals = [2, 5, 8, 11, 14, 17, 20, 23, 4, 9, 12, 15, 18, 21, 24, 7]
    accessed = [0, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 0, 1, 1, 1, 1]
    sites_of = ["A"] * 8 + ["B"] * 8
    res = fu.support_access_models(study=access_study(tmp_path, totals, accessed, sites_of))
    d = pd.DataFrame({"y": accessed, "x": totals, "site": sites_of})
    glm = smf.glm("y ~ x + C(site)", d, family=sm.families.Binomial()).fit()  # IRLS, formula path
    row = stats_of(res.data, "phq9_total")
    np.testing.assert_allclose(row[["odds_ratio", "p"]].to_numpy(), [np.exp(glm.params["x"]), glm.pvalues["x"]],
                               rtol=1e-5)
    # at each profile bound b the site-only model with offset b·x loses χ²₁(0.95)/2 of log-likelihood
    for bound in (row["ci_low"], row["ci_high"]):
        held = smf.glm("y ~ C(site)", d, family=sm.families.Binomial(), offset=np.log(bound) * d["x"]).fit()
        assert 2 * (glm.llf - held.llf) == pytest.approx(stats.chi2.ppf(0.95, 1), rel=1e-4)
    assert row["n"] == 16


def test_t13_severity_without_a_low_group_is_not_computable_with_a_reason(tmp_path):
    totals = [10, 12, 14, 16, 20, 22, 24, 26]  # all moderate or high: no low reference group
    res = fu.support_access_models(study=access_study(tmp_path, totals, [0, 1] * 4, ["A"] * 8))
    row = res.data[res.data["row"] == "overall_severity_moderate"]
    assert row["value"].isna().all() and "no respondents with low" in row["reason"].iloc[0]
    assert cell(res, "Moderate vs. low", "Odds ratio") == "Not computable"


def test_t13_perfect_separation_is_not_computable(tmp_path):
    totals = [1, 2, 3, 4, 20, 21, 22, 23]
    res = fu.support_access_models(study=access_study(tmp_path, totals, [0, 0, 0, 0, 1, 1, 1, 1], ["A"] * 8))
    assert "separation" in res.data.loc[res.data["row"] == "phq9_total", "reason"].iloc[0]


def test_t13_models_only_measures_the_sites_administered(tmp_path):
    res = fu.support_access_models(study=access_study(tmp_path, [1, 12, 22, 5], [0, 1, 1, 0], ["A"] * 4))
    assert res.data["predictor"].unique().tolist() == ["PHQ-9", "Moderate vs. low", "High vs. low"]


# ---------------------------------------------------------------- backtest against the published figures

TABLES = (fu.respondent_demographics_table, fu.hub_contact_table, fu.satisfaction_table,
          fu.support_access_models)
@pytest.fixture(scope="module")
def synthetic_study():
    return load_synthetic()


@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test_synthetic_study_reproduces_the_published_figures(synthetic_study, make):
    res = make(study=synthetic_study)
    pub = published_rows(res.id)
    assert_reproduces(res, pub)
