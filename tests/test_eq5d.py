"""EQ-5D-5L value sets, index values, Table 16, T16b, T16c and Figure 2 on hand-made studies."""
from __future__ import annotations

from itertools import product

import numpy as np
import pandas as pd
import pytest
from helpers_study import make_study
from scipy import stats

from analyses import eq5d
from hubcase.errors import HubcaseError, StudyError
from hubcase.schema import CONTRACT
from helpers_published import assert_reproduces, load_synthetic, published_rows

STATES = ["".join(p) for p in product("12345", repeat=5)]
SITES = [{"id": "A", "measures": ["phq9"], "strands": {"screening": True, "followup": True}},
         {"id": "B", "measures": ["phq9"], "strands": {"screening": True, "followup": True}}]


def tiny_value_set() -> pd.DataFrame:
    """value = 1 − 0.05 × (sum of levels − 5): 11111 → 1, 21111 → 0.95, 33333 → 0.5, 55555 → 0."""
    return pd.DataFrame({"state": STATES, "value": [1 - 0.05 * (sum(map(int, s)) - 5) for s in STATES]})


def table(table_id: str, rows: list[dict]) -> pd.DataFrame:
    frame = pd.DataFrame(rows)
    for col in CONTRACT.table(table_id).columns:
        if col.required and col.name not in frame.columns:
            frame[col.name] = None
    return frame


def dims(state: str | None) -> dict:
    keys = list(eq5d.DIMENSIONS)
    if state is None:
        return {k: None for k in keys}
    return {k: (None if c == "." else int(c)) for k, c in zip(keys, state)}


def build(tmp_path, followup: list[dict], screening: list[dict] | None = None, value_set: str = "vs.csv"):
    screening = screening or [{"record_id": r["record_id"], "site": r["site"]} for r in followup]
    vs = tiny_value_set().to_csv(index=False)
    return make_study(tmp_path, screening=table("screening", screening), sites=SITES,
                      config={"eq5d": {"value_set": value_set}}, extra_files={"vs.csv": vs},
                      followup=table("followup", followup), service_use=table("service_use", []))


def stats_of(data: pd.DataFrame, row: str, column: str = "Total") -> pd.Series:
    part = data[(data["row"] == row) & (data["column"] == column)]
    return part.set_index("statistic")["value"]


def write_value_set(tmp_path, frame: pd.DataFrame) -> str:
    (tmp_path / "vs.csv").write_text(frame.to_csv(index=False))
    return "vs.csv"


# ---------------------------------------------------------------- value sets

def test_builtin_england_value_set_has_every_state_and_full_health_is_one():
    if "england_5l_devlin2018" not in eq5d.builtin_value_sets():
        pytest.skip("built-in value set england_5l_devlin2018 not installed yet (hubcase/data/eq5d/)")
    vs = eq5d.load_value_set("england_5l_devlin2018")
    assert len(vs) == 3125 and vs["11111"] == pytest.approx(1.0)
    assert vs["55555"] == pytest.approx(-0.285, abs=1e-3)  # Devlin et al. 2018, worst state


def test_user_value_set_loads_from_the_study_directory(tmp_path):
    vs = eq5d.load_value_set(write_value_set(tmp_path, tiny_value_set()), root=tmp_path)
    assert (len(vs), vs["21111"], vs["55555"]) == (3125, pytest.approx(0.95), pytest.approx(0.0))


def test_value_set_missing_states_is_rejected_with_the_count(tmp_path):
    rel = write_value_set(tmp_path, tiny_value_set().iloc[1:])
    with pytest.raises(StudyError, match=r"has 3124 of the 3125 EQ-5D-5L states; missing 1 \(e.g. 11111\)"):
        eq5d.load_value_set(rel, root=tmp_path)


def test_value_above_one_is_rejected_naming_the_row(tmp_path):
    frame = tiny_value_set()
    frame.loc[2, "value"] = 1.2  # file row 4 (header is row 1)
    with pytest.raises(StudyError, match=r"vs.csv:row 4: value 1.2 is above 1"):
        eq5d.load_value_set(write_value_set(tmp_path, frame), root=tmp_path)


def test_bad_state_and_missing_column_are_reported(tmp_path):
    frame = tiny_value_set()
    frame.loc[0, "state"] = "11116"
    with pytest.raises(StudyError, match=r"row 2: state '11116' is not an EQ-5D-5L state"):
        eq5d.load_value_set(write_value_set(tmp_path, frame), root=tmp_path)
    with pytest.raises(StudyError, match=r"column\(s\) value missing; expected columns state,value"):
        eq5d.load_value_set(write_value_set(tmp_path, frame[["state"]]), root=tmp_path)


def test_value_set_path_outside_the_study_is_refused(tmp_path):
    with pytest.raises(HubcaseError, match="points outside the study directory"):
        eq5d.load_value_set("../elsewhere/vs.csv", root=tmp_path / "study")


def test_unknown_builtin_value_set_names_the_fix():
    with pytest.raises(HubcaseError, match=r"'nowhere_5l' is not a built-in value set.*CSV path"):
        eq5d.load_value_set("nowhere_5l")


def test_index_maps_states_and_leaves_partial_responses_missing():
    frame = pd.DataFrame([dims("11111"), dims("21111"), dims("3333."), dims(None)]).astype("Int64")
    vs = eq5d.validate_value_set(tiny_value_set().astype(str).set_axis(range(2, 3127)), "vs")
    np.testing.assert_allclose(eq5d.eq5d_index(frame, vs).to_numpy(), [1.0, 0.95, np.nan, np.nan])


# ---------------------------------------------------------------- Table 16

def levels_study(tmp_path):
    # A: 11111, 21312, all missing; B: 11111, partial (mobility missing)
    rows = [("A", "11111"), ("A", "21312"), ("A", None), ("B", "11111"), ("B", ".1111")]
    return build(tmp_path, [{"record_id": f"r{i}", "site": s, **dims(st)} for i, (s, st) in enumerate(rows)])


def test_t16_counts_levels_among_complete_cases(tmp_path):
    res = eq5d.eq5d_levels_table(study=levels_study(tmp_path)).display.set_index("Level")
    # complete cases 11111, 21312, 11111: mobility 1,2,1 -> level 1 = 2/3 = 67%; usual activities 1,3,1;
    # pain 1,1,1 -> no one with some problems; anxiety 1,2,1 -> 1 of 3 with some problems
    assert res.loc["1", "Mobility"] == "2 (67%)" and res.loc["3", "Usual activities"] == "1 (33%)"
    assert res.loc["Number reporting some problems (%)", "Pain and discomfort"] == "0 (0%)"
    assert res.loc["Number reporting some problems (%)", "Anxiety and depression"] == "1 (33%)"


def test_t16_notes_missing_altogether_and_in_part(tmp_path):
    res = eq5d.eq5d_levels_table(study=levels_study(tmp_path))
    assert res.notes[0] == ("Complete cases on all five dimensions: 3 of 5 respondents; 1 (20%) missing all five "
                            "dimensions, 1 (20%) missing some.")


# ---------------------------------------------------------------- T16b

def summary_study(tmp_path):
    # A: 11111 (1.0), 21111 (0.95), 33333 (0.5); B: 11112 (0.95).  VAS 80, 70, 40 | 90
    rows = [("A", "11111", 80), ("A", "21111", 70), ("A", "33333", 40), ("B", "11112", 90)]
    return build(tmp_path, [{"record_id": f"r{i}", "site": s, "eq_vas": v, **dims(st)}
                            for i, (s, st, v) in enumerate(rows)])


def test_t16b_site_mean_and_t_interval_match_scipy(tmp_path):
    res = eq5d.eq5d_summary_table(study=summary_study(tmp_path))
    got = stats_of(res.data, "eq5d_index", "A")
    # mean (1 + 0.95 + 0.5)/3 = 0.81667; SD = sqrt((0.18333² + 0.13333² + 0.31667²)/2) = 0.27538
    values = np.array([1.0, 0.95, 0.5])
    lo, hi = stats.t.interval(0.95, 2, loc=values.mean(), scale=stats.sem(values))
    np.testing.assert_allclose([got["mean"], got["sd"], got["ci_low"], got["ci_high"], got["median"]],
                               [0.816667, 0.275379, lo, hi, 0.95], rtol=1e-5)


def test_t16b_tests_the_overall_mean_against_each_quoted_norm(tmp_path):
    res = eq5d.eq5d_summary_table(study=summary_study(tmp_path))
    hse = stats_of(res.data, "eq5d_index", "hse_2018_hsc")
    expected = stats.ttest_1samp([1.0, 0.95, 0.5, 0.95], 0.870)  # overall: 4 respondents
    assert hse["t"] == pytest.approx(expected.statistic) and hse["p"] == pytest.approx(expected.pvalue)
    assert hse["df"] == 3


def test_t16b_reference_rows_carry_value_and_citation(tmp_path):
    res = eq5d.eq5d_summary_table(study=summary_study(tmp_path))
    hse = res.display[res.display[""].str.startswith("Health Survey for England 2018")].iloc[0]
    assert (hse["EQ-5D index, mean (SD)"], hse["Index 95% CI"], hse["n (index)"]) == ("0.870", "0.853 to 0.888", "348")
    assert "SN 8649" in hse[""]
    assert any("Szende" in v for v in res.display[""]) and any("t(0.975, n − 1)" in n for n in res.notes)


def test_t16b_for_one_site_tests_that_site_against_the_references(tmp_path):
    res = eq5d.eq5d_summary_table(study=summary_study(tmp_path), site="A")
    assert res.display[""].tolist()[:2] == ["Site A", "Total"] and len(res.display) == 2 + len(eq5d.NORMS)
    hse = stats_of(res.data, "eq5d_index", "hse_2018_hsc")
    assert hse["p"] == pytest.approx(stats.ttest_1samp([1.0, 0.95, 0.5], 0.870).pvalue)  # Site A only


def test_t16b_single_respondent_has_no_interval(tmp_path):
    res = eq5d.eq5d_summary_table(study=summary_study(tmp_path), site="B")
    assert res.display.iloc[0]["Index 95% CI"] == "–"


# ---------------------------------------------------------------- Figure 2

def test_f2_plots_the_frequency_of_each_vas_score(tmp_path):
    fig = eq5d.eq_vas_figure(study=summary_study(tmp_path))
    counts = fig.data.set_index("eq_vas")["n"]
    assert (fig.id, counts[80], counts[90], counts[50], counts.sum()) == ("F2", 1, 1, 0, 4)


# ---------------------------------------------------------------- T16c

def test_t16c_coefficients_match_lstsq(tmp_path):
    rng = np.random.default_rng(7)
    n = 24
    site = ["A"] * 12 + ["B"] * 12
    gender = ["woman", "man", "woman", "woman"] * 6
    phq = [int(v) for v in rng.integers(0, 28, n)]
    age = [int(v) for v in rng.integers(25, 60, n)]
    minority = rng.random(n) < 0.3
    disab = rng.random(n) < 0.3
    bereav = rng.random(n) < 0.4
    hosp = rng.random(n) < 0.2
    states = ["".join(str(int(v)) for v in rng.integers(1, 5, 5)) for _ in range(n)]
    scr = [{"record_id": f"r{i}", "site": site[i], "age": age[i], "gender": gender[i],
            "ethnicity": "indian" if minority[i] else "white_british", "disability": "yes" if disab[i] else "no",
            "bereavement": bool(bereav[i]), "covid_ill_hosp": bool(hosp[i]), **phq_items(phq[i])} for i in range(n)]
    fol = [{"record_id": f"r{i}", "site": site[i], **dims(states[i])} for i in range(n)]
    res = eq5d.eq5d_regression(study=build(tmp_path, fol, scr))
    y = np.array([1 - 0.05 * (sum(map(int, s)) - 5) for s in states])
    sev = np.array([0 if p <= 9 else (1 if p <= 19 else 2) for p in phq])  # Table 29 grades from PHQ-9 alone
    X = np.column_stack([np.ones(n), minority, disab, bereav, hosp, sev == 1, sev == 2, age,
                         np.array(gender) == "man", np.array(site) == "A"]).astype(float)
    beta = np.linalg.lstsq(X, y, rcond=None)[0]
    coefs = res.data[res.data["statistic"] == "coef"]
    np.testing.assert_allclose(coefs["value"].to_numpy(), beta, rtol=1e-8, atol=1e-10)
    assert coefs["row"].tolist()[-1] == "site[A]"  # reference = last site alphabetically (B)


def phq_items(total: int) -> dict:
    items, left = {}, total
    for i in range(1, 10):
        items[f"phq9_{i:02d}"] = min(3, left)
        left -= items[f"phq9_{i:02d}"]
    return items


# ---------------------------------------------------------------- backtest against the published figures

TABLES = (eq5d.eq5d_levels_table, eq5d.eq5d_summary_table, eq5d.eq5d_regression)
@pytest.fixture(scope="module")
def synthetic_study():
    return load_synthetic()


@pytest.mark.parametrize("make", TABLES, ids=lambda f: f.__name__)
def test_synthetic_study_reproduces_the_published_figures(synthetic_study, make):
    res = make(study=synthetic_study)
    pub = published_rows(res.id)
    assert_reproduces(res, pub)
