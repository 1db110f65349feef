"""Site-adjusted models (analyses.regression, analyses.ordinal, analyses.screening_models).

Each estimate is cross-checked against a direct statsmodels fit written out in the test; the
profile-likelihood CI against a brute-force likelihood-ratio grid; the LRT against
scipy.stats.chi2 on two statsmodels fits.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
import statsmodels.formula.api as smf
from helpers_study import make_study
from scipy import stats
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.stats.anova import anova_lm

from analyses import regression as R
from analyses.ordinal import LogitOrderedModel, ordinal_model
from analyses.screening_model_tables import caseness_model_table, caseness_model_tables, forest_plot, score_models_table
from analyses.screening_models import PREDICTORS, fit_caseness_models, fit_score_models
from hubcase.instruments import MEASURES


def binary_data(n=400, seed=1, beta=0.7, sites=("A", "B", "C")) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    site = rng.choice(list(sites), n)
    x = (rng.random(n) < 0.3).astype(float)
    shift = pd.Series(site).map({s: 0.3 * i for i, s in enumerate(sites)}).to_numpy()
    y = (rng.random(n) < 1 / (1 + np.exp(-(-0.4 + beta * x + shift)))).astype(float)
    return pd.DataFrame({"y": y, "x": x, "site": site})


def arrays(df: pd.DataFrame, cols=("x",)):
    return df["y"].to_numpy(float), df[list(cols)].to_numpy(float), list(cols), df["site"].to_numpy(str)


def test_logit_or_and_wald_ci_match_a_direct_statsmodels_fit():
    df = binary_data()
    fit = R.logit_model(*arrays(df), ci="wald")
    ref = smf.logit("y ~ x + C(site)", df).fit(disp=0)
    term = fit.terms[0]
    assert np.exp(term.coef) == pytest.approx(np.exp(ref.params["x"]), rel=1e-6)
    assert [term.ci_low, term.ci_high] == pytest.approx(ref.conf_int().loc["x"].tolist(), rel=1e-6)
    assert term.p == pytest.approx(ref.pvalues["x"], rel=1e-6)
    assert fit.n == 400 and fit.n_sites == 3 and fit.site_adjusted


def test_constrained_llf_matches_statsmodels_with_an_offset():
    df = binary_data()
    X = sm.add_constant(pd.get_dummies(df["site"], drop_first=True, dtype=float)).to_numpy()
    offset = 0.25 * df["x"].to_numpy()
    ref = sm.Logit(df["y"], X, offset=offset).fit(disp=0)
    value, beta = R.constrained_llf(df["y"].to_numpy(), X, offset, np.zeros(X.shape[1]))
    assert value == pytest.approx(ref.llf, abs=1e-8)
    assert beta == pytest.approx(np.asarray(ref.params), abs=1e-6)


def test_profile_ci_matches_a_brute_force_likelihood_ratio_grid():
    # small exposed group: the profile interval is visibly asymmetric around the estimate
    df = binary_data(n=300, seed=4, beta=1.0)
    df.loc[df.index[40:], "x"] = 0.0  # only ~12 exposed
    fit = R.logit_model(*arrays(df), ci="profile")
    term = fit.terms[0]
    full = smf.logit("y ~ x + C(site)", df).fit(disp=0)
    X0 = sm.add_constant(pd.get_dummies(df["site"], drop_first=True, dtype=float)).to_numpy()
    grid = np.arange(term.coef - 3.0, term.coef + 3.0, 0.005)
    dev = np.array([2 * (full.llf - sm.Logit(df["y"], X0, offset=b * df["x"]).fit(disp=0).llf) for b in grid])
    crit = stats.chi2.ppf(0.95, 1)
    inside = np.where(dev <= crit)[0]
    lo_i, hi_i = inside[0], inside[-1]
    lo = np.interp(crit, [dev[lo_i], dev[lo_i - 1]], [grid[lo_i], grid[lo_i - 1]])
    hi = np.interp(crit, [dev[hi_i], dev[hi_i + 1]], [grid[hi_i], grid[hi_i + 1]])
    assert term.ci_low == pytest.approx(lo, abs=2e-3)
    assert term.ci_high == pytest.approx(hi, abs=2e-3)
    wald = full.conf_int().loc["x"].to_numpy()
    assert abs((term.ci_high - term.coef) - (term.coef - term.ci_low)) > 0.01  # asymmetric, unlike Wald
    assert not np.allclose([term.ci_low, term.ci_high], wald, atol=1e-3)


def gender_data(n=450, seed=2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"site": rng.choice(["A", "B", "C"], n),
                       "gender": rng.choice(["woman", "man", "another_way"], n, p=[0.6, 0.3, 0.1])})
    eta = -0.2 + 0.5 * (df["gender"] == "man") + 0.8 * (df["site"] == "C") * (df["gender"] == "man")
    df["y"] = (rng.random(n) < 1 / (1 + np.exp(-eta))).astype(float)
    return df


def gender_arrays(df):
    P = np.column_stack([(df["gender"] == lv).to_numpy(float) for lv in ("man", "another_way")])
    return df["y"].to_numpy(float), P, ["gender_man", "gender_another_way"], df["site"].to_numpy(str)


def test_interaction_lrt_matches_chi2_on_two_statsmodels_fits():
    df = gender_data()
    fit = R.logit_model(*gender_arrays(df), ci="wald")
    f = "C(gender, Treatment('woman'))"
    m0 = smf.logit(f"y ~ {f} + C(site)", df).fit(disp=0)
    m1 = smf.logit(f"y ~ {f} * C(site)", df).fit(disp=0)
    df_int = int(m1.df_model - m0.df_model)
    assert df_int == 4 and fit.interaction_df == 4  # (3 − 1) × (3 − 1)
    assert fit.p_interaction == pytest.approx(stats.chi2.sf(2 * (m1.llf - m0.llf), df_int), rel=1e-5)


def test_interaction_df_shrinks_when_a_level_is_absent_at_a_site():
    df = gender_data()
    df = df[~((df["site"] == "C") & (df["gender"] == "another_way"))]
    fit = R.logit_model(*gender_arrays(df), ci="wald")
    assert fit.interaction_df == 3  # the another-way × C column is empty


def test_separated_predictor_is_not_computable_with_a_reason():
    df = binary_data()
    df.loc[df["x"] == 1, "y"] = 1.0  # every exposed participant is a case
    fit = R.logit_model(*arrays(df))
    assert not fit.computable
    assert "separation" in fit.reason_for("x")


def test_small_level_is_not_computable_and_leaves_the_model():
    df = gender_data()
    keep = (df["gender"] != "another_way") | (df.index.isin(df.index[df["gender"] == "another_way"][:3]))
    df = df[keep]
    fit = R.logit_model(*gender_arrays(df), ci="wald")
    assert "small numbers (3 participants)" in fit.reason_for("gender_another_way")
    assert [t.name for t in fit.terms] == ["gender_man"] and fit.n == len(df) - 3
    ref = smf.logit("y ~ C(gender, Treatment('woman')) + C(site)", df[df["gender"] != "another_way"]).fit(disp=0)
    assert fit.terms[0].coef == pytest.approx(ref.params.iloc[1], rel=1e-6)


def test_single_site_model_has_no_site_term_and_no_interaction():
    df = binary_data(sites=("A",))
    fit = R.logit_model(*arrays(df), ci="wald")
    ref = smf.logit("y ~ x", df).fit(disp=0)
    assert fit.terms[0].coef == pytest.approx(ref.params["x"], rel=1e-6)
    assert not fit.site_adjusted and np.isnan(fit.p_interaction)
    assert "one site" in fit.interaction_reason


def test_ols_matches_statsmodels_and_the_anova_f_test():
    rng = np.random.default_rng(5)
    df = pd.DataFrame({"site": rng.choice(["A", "B", "C"], 300), "x": rng.normal(40, 10, 300)})
    df["y"] = 10 + 0.1 * df["x"] + rng.normal(0, 4, 300)
    fit = R.ols_model(df["y"].to_numpy(), df[["x"]].to_numpy(), ["x"], df["site"].to_numpy(str))
    m0, m1 = smf.ols("y ~ x + C(site)", df).fit(), smf.ols("y ~ x * C(site)", df).fit()
    assert fit.terms[0].coef == pytest.approx(m0.params["x"], rel=1e-8)
    assert [fit.terms[0].ci_low, fit.terms[0].ci_high] == pytest.approx(m0.conf_int().loc["x"].tolist(), rel=1e-8)
    assert fit.terms[0].p == pytest.approx(m0.pvalues["x"], rel=1e-8)
    assert fit.p_interaction == pytest.approx(anova_lm(m0, m1)["Pr(>F)"].iloc[1], rel=1e-8)
    assert fit.interaction_df == 2


def ordinal_data(n=500, seed=6) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame({"site": rng.choice(["A", "B"], n), "x": (rng.random(n) < 0.4).astype(float)})
    latent = 0.6 * df["x"] + 0.4 * (df["site"] == "B") + rng.logistic(size=n)
    df["y"] = np.digitize(latent, [-0.5, 1.0])
    return df


def test_logit_ordered_model_reproduces_statsmodels_ordered_model():
    df = ordinal_data()
    X = df[["x"]].assign(b=(df["site"] == "B").astype(float)).to_numpy()
    ours = LogitOrderedModel(df["y"].to_numpy(), X).fit(method="bfgs", disp=0)
    ref = OrderedModel(df["y"].to_numpy(), X, distr="logit").fit(method="bfgs", disp=0)
    assert ours.llf == pytest.approx(ref.llf, abs=1e-6)
    assert np.asarray(ours.params) == pytest.approx(np.asarray(ref.params), abs=1e-4)
    assert np.asarray(ours.bse) == pytest.approx(np.asarray(ref.bse), rel=1e-3)


@pytest.mark.parametrize("model", ["ordinal", "logit"])
def test_factor_without_its_reference_level_is_not_computable(model):
    # nobody in the reference level: the two dummies sum to 1 and stand in for the constant
    df = ordinal_data()
    P = np.column_stack([df["x"], 1 - df["x"]])
    y = df["y"].to_numpy(float) if model == "ordinal" else (df["y"] > 0).to_numpy(float)
    fitter = ordinal_model if model == "ordinal" else R.logit_model
    fit = fitter(y, P, ["a", "b"], df["site"].to_numpy(str))
    assert not fit.computable and "collinear" in fit.reason_for("b")


def test_ordinal_model_or_and_lrt_match_ordered_model_fits():
    df = ordinal_data()
    fit = ordinal_model(df["y"].to_numpy(float), df[["x"]].to_numpy(), ["x"], df["site"].to_numpy(str))
    b = (df["site"] == "B").astype(float)
    m0 = OrderedModel(df["y"].to_numpy(), np.column_stack([df["x"], b]), distr="logit").fit(method="bfgs", disp=0)
    m1 = OrderedModel(df["y"].to_numpy(), np.column_stack([df["x"], b, df["x"] * b]), distr="logit").fit(
        method="bfgs", disp=0)
    assert np.exp(fit.terms[0].coef) == pytest.approx(np.exp(m0.params[0]), rel=1e-4)
    assert fit.terms[0].ci_low == pytest.approx(m0.params[0] - 1.959964 * m0.bse[0], abs=1e-3)
    assert fit.p_interaction == pytest.approx(stats.chi2.sf(2 * (m1.llf - m0.llf), 1), rel=1e-3)


# ----------------------------------------------------------------------- screening study models
def items(measure_id: str, total: int) -> dict:
    m = MEASURES[measure_id]
    out, left = {}, total
    for item in m.scored_items:
        out[item] = min(left, m.item_max)
        left -= out[item]
    return out


def screening_rows(n=240, seed=7) -> list[dict]:
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        site = "AB"[i % 2]
        concern = rng.choice(["yes", "no", "unsure"])
        z = rng.normal() + (0.8 if concern == "yes" else 0)
        row = {"site": site, "age": int(rng.integers(20, 65)), "gender": rng.choice(["woman", "man"]),
               "ethnicity": rng.choice(["white_british", "indian"], p=[0.8, 0.2]),
               "sexual_orientation": rng.choice(["heterosexual", "another_way"], p=[0.85, 0.15]),
               "disability": rng.choice(["yes", "no"]), "sector": rng.choice(["nhs", "other"]),
               "prepandemic_concern": concern, "financial_loss": bool(rng.random() < 0.3)}
        row["work_setting"] = rng.choice(["icu_critical_care", "other_ward"]) if row["sector"] == "nhs" else None
        row["clinical_role"] = (rng.choice(["clinical", "non_clinical"])
                                if row["sector"] == "nhs" and site == "A" else None)
        row.update(items("phq9", int(np.clip(round(11 + 5 * z), 0, 27))))
        row.update(items("pcl5", int(np.clip(round(30 + 15 * z), 0, 80))))
        rows.append(row)
    rows[0]["gender"] = "another_way"  # a single participant: not computable (small numbers)
    return rows


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    study = make_study(tmp_path_factory.mktemp("models"), screening=pd.DataFrame(screening_rows()),
                       sites=[{"id": "A", "measures": ["phq9", "pcl5"]}, {"id": "B", "measures": ["phq9", "pcl5"]}])
    return study, fit_caseness_models(study=study)


def test_rows_follow_the_report_predictor_order(models):
    _, result = models
    rows = result.rows[result.rows["outcome"] == "case_phq9"]
    assert rows["predictor"].tolist() == [t[0] for p in PREDICTORS for t in p.terms]
    assert len(rows) == 19
    assert result.outcomes == ("case_phq9", "case_pcl5", "overall_severity")  # measures the sites used


def test_clinical_role_recorded_at_one_site_has_no_interaction(models):
    _, result = models
    row = result.rows.set_index(["outcome", "predictor"]).loc[("case_pcl5", "nhs_clinical")]
    assert row["computable"] and row["n_sites"] == 1 and not row["site_adjusted"]
    assert np.isnan(row["p_interaction"]) and "one site" in row["interaction_reason"]


def test_study_model_matches_a_direct_fit_on_the_same_records(models):
    study, result = models
    from analyses.screening import screening_records
    rec = screening_records(study)
    d = pd.DataFrame({"y": rec["case_phq9"].astype(float), "x": rec["financial_loss"].astype(float),
                      "site": rec["site"].astype(str)}).dropna()
    ref = smf.logit("y ~ x + C(site)", d).fit(disp=0)
    row = result.rows.set_index(["outcome", "predictor"]).loc[("case_phq9", "financial_loss")]
    assert row["or"] == pytest.approx(np.exp(ref.params["x"]), rel=1e-6)
    assert row["n"] == len(d)


def test_caseness_tables_carry_the_report_ids_and_notes(models):
    _, result = models
    tables = caseness_model_tables(result)
    assert list(tables) == ["T30", "T32", "T36"]
    t30 = tables["T30"]
    assert any("profile likelihood" in n for n in t30.notes)
    shown = t30.display.set_index("Predictor")
    assert shown.loc["Gender (identified in another way vs. woman)", "OR"] == "Not computable"
    assert any("small numbers (1 participant)" in n for n in t30.notes)
    assert shown.loc["Pre-pandemic concern: unsure (vs. no)", "Interaction p"] == "–"  # joint test on first row


def test_forest_plot_has_an_id_and_marks_not_computable_rows(models):
    _, result = models
    fig = forest_plot(caseness_model_table(result, outcome="case_phq9"))
    assert fig.id == "F-T30"
    ax = fig.figure.axes[0]
    assert ax.get_xscale() == "log"
    assert any("not computable" in t.get_text() for t in ax.texts)
    assert len(fig.data) == 19


def test_unfitted_outcome_is_reported_with_the_fitted_ones(models):
    from hubcase.errors import AnalysisError
    _, result = models
    with pytest.raises(AnalysisError, match="no fitted models for outcome 'case_itq'"):
        caseness_model_table(result, outcome="case_itq")


def rng_free(row: dict) -> bool:
    """Nine in ten site-B rows follow the rule (so the model is not perfectly separated)."""
    return row["age"] % 10 != 0


def test_strong_site_interaction_is_flagged(tmp_path):
    rows = screening_rows(n=400, seed=9)
    tasks = np.random.default_rng(10).random(len(rows)) < 0.5
    for r, task in zip(rows, tasks):  # new tasks decide caseness at site B only
        r["new_tasks"] = bool(task)
        if r["site"] == "B":
            r.update(items("phq9", 15 if task else 3) if rng_free(r) else items("phq9", 3 if task else 15))
    study = make_study(tmp_path, screening=pd.DataFrame(rows),
                       sites=[{"id": s, "measures": ["phq9", "pcl5"]} for s in "AB"])
    result = fit_caseness_models(study=study, ci="wald")
    row = result.rows.set_index(["outcome", "predictor"]).loc[("case_phq9", "new_tasks")]
    assert row["p_interaction"] < 0.001 and row["interaction_flag"]
    shown = caseness_model_table(result, outcome="case_phq9").display.set_index("Predictor")
    assert shown.loc["Undertaking new tasks", "Interaction p"] == "< 0.001 *"


def test_score_models_table_groups_scales_by_predictor(models):
    study, _ = models
    table = score_models_table(fit_score_models(study=study))
    assert table.id == "T37-54"
    labels = table.display["Predictor"].tolist()
    assert labels[0] == "Age (per year)" and table.display["Scale"].iloc[1:3].tolist() == ["PHQ-9", "PCL-5"]
